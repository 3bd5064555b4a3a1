/**
 * `witplug cache stats [--json]` and `witplug cache prune [--max-bytes N] [--json]`:
 * the compile/contract cache directory ($WITPLUG_CACHE_DIR, else the XDG
 * default), its size against the bound ($WITPLUG_CACHE_MAX_BYTES, else 1 GiB),
 * and least-recently-used eviction down to a bound.
 */
import type { Command } from 'commander';
import { defaultCacheDir } from '../index.js';
import { cacheMaxBytes, directoryProblem, parseByteCount, pruneCache, scanCache } from '../tools.js';
import { ExitCode, printJson, runCommand, usage } from './output.js';

export interface CacheStatsReport {
  readonly ok: true;
  readonly dir: string;
  readonly entries: number;
  readonly totalBytes: number;
  readonly maxBytes: number;
  /** Why entries in the directory are not trusted (refused on load), or null. */
  readonly problem: string | null;
}

export interface CachePruneReport extends Omit<CacheStatsReport, 'problem'> {
  readonly removed: readonly { readonly path: string; readonly size: number }[];
  readonly removedBytes: number;
}

export function registerCache(program: Command): void {
  const cache = program.command('cache').description('Inspect or shrink the compile cache directory.');
  cache
    .command('stats')
    .description('Show the cache directory, its entry count, total bytes and size bound.')
    .option('--json', 'print one JSON object: {"ok":true,"dir","entries","totalBytes","maxBytes","problem"}')
    .action(async (flags: { json?: boolean }) => {
      await runCommand(flags.json === true, async () => {
        const dir = defaultCacheDir();
        const scan = await scanCache(dir);
        const report: CacheStatsReport = {
          ok: true, dir, entries: scan.entries.length, totalBytes: scan.totalBytes, maxBytes: cacheMaxBytes(), problem: await directoryProblem(dir),
        };
        if (flags.json) printJson(report);
        else {
          process.stdout.write(`${dir}: ${report.entries} entries, ${report.totalBytes} bytes (bound ${report.maxBytes} bytes)\n`);
          if (report.problem) process.stdout.write(`not trusted: ${report.problem} (entries are rebuilt, not used)\n`);
        }
        return ExitCode.OK;
      });
    });
  cache
    .command('prune')
    .description('Evict least recently used entries until the cache fits the bound.')
    .option('--max-bytes <n>', 'the bound in bytes (default: $WITPLUG_CACHE_MAX_BYTES, else 1 GiB); 0 empties the cache')
    .option('--json', 'print one JSON object: {"ok":true,"dir","entries","totalBytes","maxBytes","removed":[{"path","size"}],"removedBytes"}')
    .action(async (flags: { json?: boolean; maxBytes?: string }) => {
      await runCommand(flags.json === true, async () => {
        let maxBytes = cacheMaxBytes();
        if (flags.maxBytes !== undefined) {
          const n = parseByteCount(flags.maxBytes);
          if (n === null) throw usage(`--max-bytes must be a non-negative integer of bytes, got "${flags.maxBytes}"`);
          maxBytes = n;
        }
        const dir = defaultCacheDir();
        const r = await pruneCache(dir, maxBytes);
        const removed = r.removed.map((e) => ({ path: e.path, size: e.size }));
        const report: CachePruneReport = {
          ok: true, dir, entries: r.entries.length, totalBytes: r.totalBytes, maxBytes, removed, removedBytes: removed.reduce((n, e) => n + e.size, 0),
        };
        if (flags.json) printJson(report);
        else {
          for (const e of removed) process.stdout.write(`removed ${e.path} (${e.size} bytes)\n`);
          process.stdout.write(`${dir}: removed ${removed.length} entries (${report.removedBytes} bytes); ${report.entries} entries, ${report.totalBytes} bytes left (bound ${maxBytes})\n`);
        }
        return ExitCode.OK;
      });
    });
}
