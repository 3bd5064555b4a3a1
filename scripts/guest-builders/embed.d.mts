export function embedAndWrite(opts: {
  coreModule: Uint8Array;
  witDir: string;
  world: string;
  outFile: string;
  metadata?: Record<string, unknown>;
}): Promise<{ size: number }>;
