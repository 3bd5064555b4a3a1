#!/usr/bin/env node
// Writes docs/diff-rules.md from the rule catalogue and test/fixtures/diff (run `npm run build` first).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRulesDoc } from '../dist/diff/rules-doc.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(join(root, 'docs', 'diff-rules.md'), renderRulesDoc(root));
