// ESLint flat config: the recommended JS and typescript-eslint rules (syntactic,
// no type information, so a lint run stays a few seconds on a small machine),
// plus the few project rules below. Unused code is reported by tsc
// (`--noUnusedLocals --noUnusedParameters`, see `npm run lint`), not here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import stylistic from '@stylistic/eslint-plugin';

export default tseslint.config(
  {
    // examples/gateway-host/gateway.ts is generated (witplug types: JSON-quoted keys by design).
    ignores: ['examples/gateway-host/gateway.ts', 'dist/**', 'node_modules/**', '**/build/**', 'guests/dist/**', 'bench/guests/dist/**', 'bench/results/**', '.cache/**', '**/*.tmp.*', '.jspi-node/**', '.walk-*/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@stylistic': stylistic },
    rules: {
      // The formatter: `npm run format` (eslint --fix) applies these; the code base was written this way.
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/indent': ['error', 2, { SwitchCase: 1, ignoredNodes: ['TemplateLiteral *', 'ConditionalExpression'] }],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/comma-spacing': 'error',
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/eol-last': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxEOF: 0 }],
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/arrow-parens': ['error', 'always'],
      // Code lines stay readable; a line holding a template literal (messages, generated code,
      // WIT text) or a regular expression is not broken up just to fit.
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      // tsc already reports unused locals and parameters (with the flags in `npm run lint`);
      // one checker, one message.
      '@typescript-eslint/no-unused-vars': 'off',
      'no-unused-vars': 'off',
      // `let x; … closure reading x …; x = await load(…)`: a closure made before the value exists.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // The library's source: no `any` (public API or not); `unknown` plus a check instead.
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Tests poke at internals and malformed values on purpose, and hold fixture data in strings.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    // Plain-JS scripts and benchmarks (Node ESM).
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      // Benchmark reports and build scripts hold markdown rows and command lines in strings.
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
    },
  },
);
