/** The fuel slice adapts to how fast the plugin's units run (src/runtime/limits/slice-size.ts). */
import { describe, expect, it } from 'vitest';
import { MAX_SLICE, SliceSizer } from '../src/runtime/limits/slice-size.js';
import { SLICE } from '../src/runtime/limits/resolve-limits.js';

describe('SliceSizer', () => {
  it('starts at SLICE and doubles after each fast slice, up to MAX_SLICE', () => {
    const s = new SliceSizer();
    expect(s.size).toBe(SLICE);
    expect(s.grown).toBe(false);
    const seen = [s.size];
    for (let i = 0; i < 20; i++) {
      s.observe(0.01);
      seen.push(s.size);
      expect(s.sizeBig).toBe(BigInt(s.size));
    }
    expect(seen.slice(0, 4)).toEqual([SLICE, 2 * SLICE, 4 * SLICE, 8 * SLICE]);
    expect(s.size).toBe(MAX_SLICE);
    expect(s.grown).toBe(true);
  });

  it('halves after each slow slice, never below SLICE; slices in between keep their size', () => {
    const s = new SliceSizer();
    for (let i = 0; i < 3; i++) s.observe(0.01);
    expect(s.size).toBe(8 * SLICE);
    s.observe(0.5);
    expect(s.size).toBe(8 * SLICE);
    s.observe(5);
    expect(s.size).toBe(4 * SLICE);
    for (let i = 0; i < 10; i++) s.observe(5);
    expect(s.size).toBe(SLICE);
    expect(s.sizeBig).toBe(BigInt(SLICE));
  });
});
