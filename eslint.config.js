// Lint for everything we write (README.md "Lint" says why ESLint with typescript-eslint).
// TypeScript gets typescript-eslint's type-aware recommended rules; the plain-JavaScript files
// (the zero-dependency hook handler, test fixtures run as child processes, this file) get the
// JavaScript recommended rules. The import-boundary rules enforce the layout: which folder may
// import what is the table in docs/architecture.md ("Layout, and what each folder may import").
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const ELECTRON = 'electron (main-process code lives in src/electron-main/ only)';
const ELECTRON_MAIN = 'src/electron-main/ is Electron-only; plain-Node code must not depend on it';
const NODE_IN_SHARED = 'src/shared/ runs in every process, the sandboxed renderer included: no Node built-ins';
const OUTSIDE_SHARED = 'src/shared/ imports only itself: it is what every other folder may depend on';
const CORE_IN_SIDECAR = 'the sidecar is bundled on its own and never depends on src/core/ (host-side code)';
const DEDUP_IN_RENDERER = 'src/shared/dedup.ts uses node:crypto, which the sandboxed preload and renderer do not have';
const BENCH = 'tests do not import benchmarks: shared harness code lives in scripts/lib/ or test/helpers/';
const SERVER_IN_DASHBOARD = 'src/dashboard/ runs in the browser: from src/sidecar/ it takes types only (`import type`, erased by the bundler); code both sides run lives in src/shared/';
const HOST_IN_DASHBOARD = 'src/dashboard/ runs in the browser: no Node built-ins, no host-side src/core/ or src/electron-main/';

/** no-restricted-imports covers static imports; these catch import() and require() of the same. */
function dynamicLoads(source, message) {
  return [
    { selector: `ImportExpression[source.value=${source}]`, message },
    { selector: `CallExpression[callee.name='require'][arguments.0.value=${source}]`, message },
  ];
}

const electronBan = {
  paths: [{ name: 'electron', message: ELECTRON }],
  patterns: [
    { group: ['electron/*'], message: ELECTRON },
    { group: ['**/electron-main', '**/electron-main/**'], message: ELECTRON_MAIN },
  ],
};
const electronSyntaxBan = [...dynamicLoads('/^electron(\\u002F|$)/', ELECTRON), ...dynamicLoads('/electron-main(\\u002F|$)/', ELECTRON_MAIN)];

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

// The code marks a deliberately unused binding with a leading underscore (`catch (_)` in the
// handler, `{ drop: _drop, ...rest }` to omit a key, a callback's unused parameter).
const unusedVars = {
  argsIgnorePattern: '^_',
  varsIgnorePattern: '^_',
  caughtErrorsIgnorePattern: '^_',
  destructuredArrayIgnorePattern: '^_',
  ignoreRestSiblings: true,
};

/** src/shared/: only itself, no Electron, no Node built-ins except `allowNode` (without the node: prefix). */
function sharedBoundary(files, allowNode, ignores = []) {
  const banned = nodeBuiltins.filter((m) => !allowNode.includes(m));
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...electronBan.paths, ...banned.map((name) => ({ name, message: NODE_IN_SHARED }))],
          patterns: [
            ...electronBan.patterns,
            // every node: specifier except the allowed ones
            { regex: allowNode.length ? `^node:(?!(${allowNode.join('|')})$)` : '^node:', message: NODE_IN_SHARED },
            { regex: '^\\.\\./', message: OUTSIDE_SHARED },
          ],
        },
      ],
      'no-restricted-syntax': ['error', ...electronSyntaxBan, ...dynamicLoads('/^(node:|\\.\\.\\u002F)/', `${NODE_IN_SHARED}; ${OUTSIDE_SHARED}`)],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'test/real-clients/node_modules/**',
      // the pinned upstream snapshot: never edited, so never linted
      'vendor/**',
      // build outputs
      'build/**',
      'dist/**',
      'test-artifacts/**',
      // pinned anchor text: verbatim copies of upstream code whose hashes the patches check
      'patches/anchors/**',
      // patcher inputs shaped like upstream releases (and their pinned anchors); tsconfig skips them too
      'test/fixtures/**',
    ],
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.nodeBuiltin } },
    rules: { 'no-unused-vars': ['error', unusedVars] },
  },
  {
    // CommonJS by content: the stand-in electron module loaded with require().
    files: ['test/electron-main/fixtures/stub-electron/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    // Runs both as CommonJS and as an ES module, so it is a plain script: no import/export, and
    // `require`/`__filename` are not globals it may count on (it checks for them first).
    files: ['src/handlers/**/*.js'],
    languageOptions: { sourceType: 'script' },
  },
  {
    files: ['**/*.{ts,mts,cts}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: { '@typescript-eslint/no-unused-vars': ['error', unusedVars] },
  },
  {
    // Tests only. They read untyped JSON (API replies, captured hook payloads, files on disk)
    // and the expect() calls are the check of its shape, so the no-unsafe-* rules would only add
    // casts. A mocked method handed to expect() is how vitest asserts on it (unbound-method), and
    // an async stub without await is the plainest way to satisfy an async interface.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },

  // Import boundaries (see the messages above for why; docs/architecture.md has the table).
  {
    files: ['src/core/**', 'src/handlers/**'],
    rules: {
      'no-restricted-imports': ['error', electronBan],
      'no-restricted-syntax': ['error', ...electronSyntaxBan],
    },
  },
  {
    files: ['src/sidecar/**'],
    rules: {
      // `@opentelemetry/core` (the OTLP export's SDK, an npm package) is not our src/core/.
      'no-restricted-imports': ['error', { ...electronBan, patterns: [...electronBan.patterns, { group: ['**/core', '**/core/**', '!@opentelemetry/core'], message: CORE_IN_SIDECAR }] }],
      'no-restricted-syntax': ['error', ...electronSyntaxBan, ...dynamicLoads('/(^|\\u002F)core\\u002F/', CORE_IN_SIDECAR)],
    },
  },
  sharedBoundary(['src/shared/**'], [], ['src/shared/dedup.ts']),
  // The one exception architecture.md names: dedup keys hash with node:crypto. That is safe
  // because only the sidecar imports dedup.ts; the preload and renderer may not (below).
  sharedBoundary(['src/shared/dedup.ts'], ['crypto']),
  {
    files: ['src/preload/**', 'src/renderer/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/shared/dedup', '**/shared/dedup.*'], message: DEDUP_IN_RENDERER }] }],
    },
  },
  {
    // The dashboard page is bundled for the browser. The typescript-eslint form of the rule
    // tells `import type` (erased) from a value import (which would bundle server code).
    files: ['src/dashboard/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...electronBan.paths, ...nodeBuiltins.map((name) => ({ name, message: HOST_IN_DASHBOARD }))],
          patterns: [
            ...electronBan.patterns,
            { regex: '^node:', message: HOST_IN_DASHBOARD },
            { group: ['**/core', '**/core/**'], message: HOST_IN_DASHBOARD },
            { group: ['**/shared/dedup', '**/shared/dedup.*'], message: DEDUP_IN_RENDERER },
            { group: ['**/sidecar', '**/sidecar/**'], message: SERVER_IN_DASHBOARD, allowTypeImports: true },
          ],
        },
      ],
      'no-restricted-syntax': ['error', ...electronSyntaxBan, ...dynamicLoads('/(^node:|(^|\\u002F)(core|sidecar)\\u002F)/', `${HOST_IN_DASHBOARD}; ${SERVER_IN_DASHBOARD}`)],
    },
  },
  {
    files: ['test/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/scripts/bench', '**/scripts/bench/**'], message: BENCH }] }],
      'no-restricted-syntax': ['error', ...dynamicLoads('/scripts\\u002Fbench(\\u002F|$)/', BENCH)],
    },
  },
);
