// The same builder interface as the freestanding C builder's (c.d.mts).
export { build, available, toolVersion, getToolVersion, CFLAGS } from './c.d.mts';
export type { BuildOptions } from './c.d.mts';
