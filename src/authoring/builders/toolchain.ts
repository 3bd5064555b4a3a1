/**
 * Running the external tools a build needs, and the one error for a missing
 * one: `TOOLCHAIN`, naming what to install.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WitplugError, ErrorCodes } from '../../errors.js';

const execFileAsync = promisify(execFile);

export interface ToolOutput { readonly stdout: string; readonly stderr: string }

/** Runs `cmd` (no shell), bounded in time; rejects with the process's error (its `stderr` attached). */
export async function runTool(
  cmd: string, args: readonly string[], options: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<ToolOutput> {
  const { stdout, stderr } = await execFileAsync(cmd, [...args], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    timeout: options.timeoutMs,
    env: options.env ?? process.env,
    maxBuffer: 16 * 1024 * 1024,
    encoding: 'utf8',
  });
  return { stdout, stderr };
}

/** stdout + stderr of a short tool query, or null when the tool is missing or fails. */
export async function toolOutput(cmd: string, args: readonly string[]): Promise<string | null> {
  try {
    const { stdout, stderr } = await runTool(cmd, args, { timeoutMs: 30_000 });
    return `${stdout}${stderr}`;
  } catch {
    return null;
  }
}

/** The build cannot run here: `what` is missing; `install` says how to get it. */
export function toolchainMissing(what: string, install: string): WitplugError {
  return new WitplugError(ErrorCodes.TOOLCHAIN, `${what} is not available: ${install}`);
}

/** A tool ran and refused the plugin's sources: the author's to fix. */
export function buildFailed(step: string, detail: string, cause?: unknown): WitplugError {
  const text = detail.trim().split('\n').slice(0, 40).join('\n');
  return new WitplugError(ErrorCodes.BUILD, `${step} failed: ${text}`, cause === undefined ? {} : { cause });
}
