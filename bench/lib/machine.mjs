// Machine and toolchain facts recorded with every result file.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function pkgVersion(name) {
  try {
    const path = require.resolve(`${name}/package.json`);
    return JSON.parse(readFileSync(path, 'utf8')).version;
  } catch {
    try {
      // Packages whose exports map hides package.json: walk from the entry.
      const entry = require.resolve(name);
      const idx = entry.lastIndexOf(`/node_modules/${name}/`);
      return JSON.parse(readFileSync(`${entry.slice(0, idx)}/node_modules/${name}/package.json`, 'utf8')).version;
    } catch {
      return null;
    }
  }
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    jco: pkgVersion('@bytecodealliance/jco'),
    extism: pkgVersion('@extism/extism'),
    date: new Date().toISOString(),
  };
}
