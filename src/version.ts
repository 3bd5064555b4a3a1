/** witplug's own version; part of every compile-cache key. Keep in sync with package.json (a test checks). */
export const VERSION = '0.1.0';
