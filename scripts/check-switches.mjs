// Lists every `switch` over a union of string kinds (3 or more) in src/ whose last branch is not an
// exhaustiveness check (`assertNever(x, …)` or `const y: never = x`): a `default:` that takes
// every other kind silently, or no `default:` at all. Exit code 1 when there is one.
// Usage: node scripts/check-switches.mjs
import ts from 'typescript';
import { relative } from 'node:path';

const config = ts.getParsedCommandLineOfConfigFile('tsconfig.json', {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic() {} });
if (!config) throw new Error('tsconfig.json could not be read');
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();
const open = [];
for (const file of program.getSourceFiles()) {
  if (file.isDeclarationFile || !config.fileNames.includes(file.fileName)) continue;
  const visit = (node) => {
    if (ts.isSwitchStatement(node)) {
      const type = checker.getTypeAtLocation(node.expression);
      const kinds = type.isUnion() ? type.types.filter((t) => t.isStringLiteral()).length : 0;
      if (kinds >= 3) {
        const fallback = node.caseBlock.clauses.find((c) => ts.isDefaultClause(c));
        const checked = fallback !== undefined && /assertNever\(|:\s*never\s*=/.test(fallback.getText(file));
        if (!checked) {
          const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
          const why = fallback ? 'default takes the other kinds' : 'no default';
          open.push(`${relative(process.cwd(), file.fileName)}:${line + 1} switch (${node.expression.getText(file)}): ${why}`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}
for (const line of open) console.log(line);
if (open.length > 0) {
  console.log(`${open.length} switch(es) over kinds without an exhaustiveness check (src/util/assert-never.ts)`);
  process.exitCode = 1;
}
