import { describe, expect, it } from 'vitest';
import { assertNever } from '../src/util/assert-never.js';
import { WitplugError } from '../src/errors.js';
import { formatDiff } from '../src/tools.js';
import type { ValType } from '../src/component/types.js';
import type { DiffFormat } from '../src/diff/format.js';

/** A switch that forgets a kind: the `default` argument is not `never`, so tsc (tsconfig.test.json) must refuse it. */
function forgetsAKind(t: ValType): string {
  switch (t.kind) {
    case 'record': case 'variant': case 'enum': case 'flags': return 'named';
    // @ts-expect-error -- 'list' and the other kinds reach here: not every kind is handled
    default: return assertNever(t, 'value type kind');
  }
}

describe('assertNever', () => {
  it('is a compile error where a kind is left out, and an INTERNAL error if reached at run time', () => {
    expect(forgetsAKind({ kind: 'record', fields: [] })).toBe('named');
    let thrown: unknown;
    try {
      forgetsAKind({ kind: 'list', element: { kind: 'u8' } });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(WitplugError);
    expect((thrown as WitplugError).code).toBe('INTERNAL');
    expect((thrown as WitplugError).message).toContain('list');
  });

  it('a diff format a JavaScript caller made up is a USAGE error, not silently text', () => {
    const report = { world: 'w', findings: [], packages: [], breaksPlugins: false, breaksHosts: false } as unknown as Parameters<typeof formatDiff>[0];
    const ctx = { old: 'a.wit', new: 'b.wit', side: 'both' } as const;
    expect(typeof formatDiff(report, 'text', ctx)).toBe('string');
    let thrown: unknown;
    try {
      formatDiff(report, 'xml' as DiffFormat, ctx);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(WitplugError);
    expect((thrown as WitplugError).code).toBe('USAGE');
  });
});
