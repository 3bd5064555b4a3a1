/** witplug's own version; part of every compile-cache key. Keep in sync with package.json (a test checks). */
export const VERSION = '0.1.0';

/**
 * How witplug builds what it caches (transpile options, glue hardening, fuel
 * instrumentation, contract components). Part of the compile- and
 * contract-cache keys next to VERSION, so a witplug that changes how it
 * builds never serves entries an older build left, even between releases:
 * bump it with any change to the output of src/compile/ or of contract
 * building.
 */
export const BUILD_STAMP = 'build-1';
