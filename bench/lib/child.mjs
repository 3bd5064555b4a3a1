// Runs a node script as a child process and parses the JSON object on its
// last stdout line (the convention for bench sub-modules).
import { spawn } from 'node:child_process';

export function runJsonChild(args, { timeoutMs = 120_000, cwd } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(signal ? `killed by ${signal} (timeout ${timeoutMs} ms)` : `exit code ${code}`);
        let value;
        try {
          value = JSON.parse(last);
        } catch {
          // A module that pretty-printed its object: the whole of stdout is the JSON.
          value = JSON.parse(out.trim());
        }
        resolve({ ok: true, value });
      } catch (e) {
        const lines = err.trim().split('\n').filter((l) => l.trim() !== '' && !/ExperimentalWarning|--trace-warnings/.test(l));
        const first = lines.find((l) => /Error|error:/.test(l)) ?? lines[0];
        resolve({ ok: false, error: `${e.message}${first ? `; stderr: ${first.trim().slice(0, 300)}` : ''}` });
      }
    });
  });
}
