/** Order-independent JSON of a shape: world items sorted by name, maps and object keys sorted. */
export function canonical(shape: { readonly imports: readonly unknown[]; readonly exports: readonly unknown[] }): string {
  const byName = (a: unknown, b: unknown): number => ((a as { name: string }).name < (b as { name: string }).name ? -1 : 1);
  return JSON.stringify({ imports: [...shape.imports].sort(byName), exports: [...shape.exports].sort(byName) }, (_k, v: unknown) => {
    if (v instanceof Map) return Object.fromEntries([...(v as Map<string, unknown>)].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v as object).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    return v;
  });
}
