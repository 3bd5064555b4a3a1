/**
 * The name grammars of Explainer.md ("Import and export definitions"):
 * labels of fields, cases, flags, enum cases and parameters, and the extern
 * names of imports and exports. The decoder refuses anything else, so a name
 * that reaches the rest of witplug (generated code, JS property keys, error
 * messages) is ASCII kebab-case, never arbitrary text from a component.
 */

const FIRST_FRAGMENT = '(?:[a-z][0-9a-z]*|[A-Z][0-9A-Z]*)';
const FRAGMENT = '(?:[0-9a-z]+|[0-9A-Z]+)';
const LABEL = `${FIRST_FRAGMENT}(?:-${FRAGMENT})*`;
const WORDS = '[a-z][0-9a-z]*(?:-[0-9a-z]+)*';
const IDENT = '[0-9A-Za-z-]+';
const SEMVER = `(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)(?:-${IDENT}(?:\\.${IDENT})*)?(?:\\+${IDENT}(?:\\.${IDENT})*)?`;
const CANON_VERSION = '(?:[1-9]\\d*|0\\.[1-9]\\d*|0\\.0\\.[1-9]\\d*)';

const labelRe = new RegExp(`^${LABEL}$`);
const plainNameRe = new RegExp(
  `^(?:${LABEL}|\\[constructor\\]${LABEL}|\\[(?:async )?(?:method|static)\\]${LABEL}\\.${LABEL}|\\[async\\]${LABEL})$`,
);
// `<namespace>+ <words> <projection>+` covers both the plain and the nested (🪺) form.
const interfaceNameRe = new RegExp(`^(?:${WORDS}:)+${WORDS}(?:/${LABEL})+(?:@(?:${SEMVER}|${CANON_VERSION}))?$`);

/** A `label`: kebab-case words, each all-lowercase or all-uppercase, the first starting with a letter. */
export function isLabel(s: string): boolean {
  return labelRe.test(s);
}

/** An `externname`: a plain name (label, `[method]r.f`…) or an interface name (`ns:pkg/iface@1.0.0`). */
export function isExternName(s: string): boolean {
  return plainNameRe.test(s) || interfaceNameRe.test(s);
}
