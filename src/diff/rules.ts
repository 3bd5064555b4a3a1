/**
 * The rules of `witplug diff`. Each finding names one rule; severity and the
 * side it breaks follow from where the change is (import or export) and what
 * the admission gate does with it, never from the rule alone.
 */

import type { PackageBump } from './bump.js';

export type Severity = 'breaking' | 'dangerous' | 'safe';
/** Who stops working: `plugins` built against the old contract, `hosts` implementing it, both, or nobody. */
export type Breaks = 'plugins' | 'hosts' | 'both' | 'none';

export interface RuleInfo {
  readonly category: 'world' | 'function' | 'type' | 'resource' | 'package' | 'source';
  readonly summary: string;
}

export const DiffRules = {
  IMPORT_ADDED: { category: 'world', summary: 'The world imports a new item: hosts must now provide it; existing plugins do not import it.' },
  IMPORT_REMOVED: { category: 'world', summary: 'An import is gone: plugins built against the old contract import it and are refused.' },
  EXPORT_ADDED: { category: 'world', summary: 'The world requires a new export: every existing plugin lacks it.' },
  EXPORT_REMOVED: { category: 'world', summary: 'An export is no longer required: old hosts still call it on new plugins.' },
  ITEM_KIND_CHANGED: { category: 'world', summary: 'A world item changed kind (interface, function, type).' },
  VERSION_INCOMPATIBLE: { category: 'package', summary: 'An interface moved to a semver-incompatible version: nothing built against the old one links.' },
  VERSION_CHANGED: { category: 'package', summary: 'An interface moved to a semver-compatible version: items still link.' },
  VERSION_BUMP_REQUIRED: {
    category: 'package',
    summary:
      'A package\'s version does not fit its changes. Breaking for existing plugins under a version they still link '
        + 'to (it needs a major bump from 1.0, a minor one for 0.x, a patch one for 0.0.x); dangerous for additions '
        + 'under an unchanged version (they need a minor bump from 1.0, a patch one for 0.x).',
  },
  FUNC_ADDED: { category: 'function', summary: 'A function was added to an interface: hosts must provide it (import) or plugins must export it (export).' },
  FUNC_REMOVED: { category: 'function', summary: 'A function was removed from an interface.' },
  FUNC_ASYNC_CHANGED: { category: 'function', summary: 'A function became async or stopped being async.' },
  PARAM_ADDED: { category: 'function', summary: 'A function gained a parameter.' },
  PARAM_REMOVED: { category: 'function', summary: 'A function lost a parameter.' },
  PARAM_RENAMED: { category: 'function', summary: 'A parameter was renamed (same position and type); the gate compares parameter names.' },
  PARAM_RETYPED: { category: 'function', summary: 'A parameter changed type.' },
  PARAM_REORDERED: { category: 'function', summary: 'Parameters were reordered.' },
  RESULT_CHANGED: { category: 'function', summary: 'A function result was added, removed or changed type.' },
  TYPE_ADDED: { category: 'type', summary: 'An interface declares a new type.' },
  TYPE_REMOVED: { category: 'type', summary: 'An interface no longer declares a type.' },
  TYPE_KIND_CHANGED: { category: 'type', summary: 'A named type changed kind (e.g. record to variant).' },
  TYPE_ALIAS_TARGET_CHANGED: {
    category: 'type',
    summary: 'A type alias points at another type (breaking when the structure differs, dangerous when only the name does).',
  },
  USE_TARGET_CHANGED: {
    category: 'type',
    summary: 'A `use` imports a type from another interface; the structure is unchanged but the type now belongs elsewhere.',
  },
  FIELD_ADDED: { category: 'type', summary: 'A record gained a field.' },
  FIELD_REMOVED: { category: 'type', summary: 'A record lost a field.' },
  FIELD_RENAMED: { category: 'type', summary: 'A record field was renamed.' },
  FIELD_RETYPED: { category: 'type', summary: 'A record field changed type.' },
  FIELD_REORDERED: { category: 'type', summary: 'Record fields were reordered.' },
  CASE_ADDED: { category: 'type', summary: 'A variant gained a case.' },
  CASE_REMOVED: { category: 'type', summary: 'A variant lost a case.' },
  CASE_RENAMED: { category: 'type', summary: 'A variant case was renamed.' },
  CASE_REORDERED: { category: 'type', summary: 'Variant cases were reordered.' },
  CASE_PAYLOAD_CHANGED: { category: 'type', summary: 'A variant case payload was added, removed or changed type.' },
  ENUM_CASE_ADDED: { category: 'type', summary: 'An enum gained a case.' },
  ENUM_CASE_REMOVED: { category: 'type', summary: 'An enum lost a case.' },
  ENUM_CASE_RENAMED: { category: 'type', summary: 'An enum case was renamed.' },
  ENUM_CASE_REORDERED: { category: 'type', summary: 'Enum cases were reordered.' },
  FLAG_ADDED: { category: 'type', summary: 'A flags type gained a flag.' },
  FLAG_REMOVED: { category: 'type', summary: 'A flags type lost a flag.' },
  FLAG_RENAMED: { category: 'type', summary: 'A flag was renamed.' },
  FLAG_REORDERED: { category: 'type', summary: 'Flags were reordered (their bit positions change).' },
  RESOURCE_CONSTRUCTOR_ADDED: { category: 'resource', summary: 'A resource gained a constructor.' },
  RESOURCE_CONSTRUCTOR_REMOVED: { category: 'resource', summary: 'A resource lost its constructor.' },
  RESOURCE_METHOD_ADDED: { category: 'resource', summary: 'A resource gained a method.' },
  RESOURCE_METHOD_REMOVED: { category: 'resource', summary: 'A resource lost a method.' },
  RESOURCE_STATIC_ADDED: { category: 'resource', summary: 'A resource gained a static function.' },
  RESOURCE_STATIC_REMOVED: { category: 'resource', summary: 'A resource lost a static function.' },
  UNUSED_TYPE_CHANGED: {
    category: 'source',
    summary: 'A type no function reaches was added, removed or changed: no component binary carries it, so nothing breaks today.',
  },
  FEATURE_GATE_CHANGED: {
    category: 'source',
    summary:
      'An item (function, type, resource member, world import or export) was deprecated (dangerous) or un-deprecated '
        + '(safe), or an `@unstable` one was added or removed (safe: outside the contract until its feature is enabled). '
        + '`@since` alone is no change and is not reported.',
  },
} as const satisfies Record<string, RuleInfo>;

export type DiffRuleId = keyof typeof DiffRules;
export const DIFF_RULE_IDS = Object.keys(DiffRules) as DiffRuleId[];

export interface DiffFinding {
  readonly rule: DiffRuleId;
  readonly severity: Severity;
  readonly breaks: Breaks;
  /** Same format as admission problem paths: `export pkg:x/iface@1.0.0 > func check > param req`. */
  readonly path: string;
  readonly message: string;
  /** In the new WIT; the old one for removals. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface DiffReport {
  readonly world: string;
  readonly findings: readonly DiffFinding[];
  /** Version-bump advice for every package that changed. */
  readonly packages: readonly PackageBump[];
  /** Whether plugins built against the old contract are refused by the new one. */
  readonly breaksPlugins: boolean;
  /** Whether plugins built against the new contract are refused by hosts of the old one. */
  readonly breaksHosts: boolean;
}

export function breaksSide(f: DiffFinding, side: 'plugins' | 'hosts'): boolean {
  return f.severity === 'breaking' && (f.breaks === side || f.breaks === 'both');
}
