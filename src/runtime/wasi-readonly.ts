/**
 * Read-only views of preview2-shim descriptors. A proxy forwards reads to the
 * real descriptor (methods bound to the target, because the shim keeps its
 * state in private fields) and refuses every mutating call with WASI's
 * `read-only` error code; directories opened through it are wrapped too.
 */
const MUTATING = new Set([
  'writeViaStream', 'appendViaStream', 'write', 'setSize', 'setTimes', 'setTimesAt', 'createDirectoryAt',
  'removeDirectoryAt', 'unlinkFileAt', 'renameAt', 'symlinkAt', 'linkAt', 'sync', 'syncData',
]);

interface OpenFlags { create?: boolean; truncate?: boolean; exclusive?: boolean }
interface DescriptorFlags { write?: boolean; mutateDirectory?: boolean }

export function readOnlyDescriptor<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, key) {
      const value: unknown = Reflect.get(t, key, t);
      if (typeof value !== 'function') return value;
      if (typeof key === 'string' && MUTATING.has(key)) {
        return () => {
          throw 'read-only';
        };
      }
      if (key === 'openAt') {
        return (pathFlags: unknown, path: string, openFlags: OpenFlags, flags: DescriptorFlags) => {
          if (openFlags?.create || openFlags?.truncate || flags?.write || flags?.mutateDirectory) throw 'read-only';
          const opened = (value as (...a: unknown[]) => object).call(t, pathFlags, path, openFlags, flags);
          return readOnlyDescriptor(opened);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(t);
    },
  });
}

export function readOnlyPreopens<P extends { getDirectories(): [unknown, string][] }>(preopens: P, readOnlyGuestPaths: ReadonlySet<string>): P {
  return {
    ...preopens,
    getDirectories: () =>
      preopens.getDirectories().map(([d, guest]) => [readOnlyGuestPaths.has(guest) ? readOnlyDescriptor(d as object) : d, guest] as [unknown, string]),
  };
}
