// ESLint (flat config). `npm run lint`; `npm test` runs it as one of its tests.
//
// Two kinds of rules:
//  - promise and dead-code rules with type information (typescript-eslint);
//  - the layering of docs/architecture.md ("Dependency direction"), as import boundaries:
//    import-x/no-restricted-paths on resolved paths (static imports, `export … from` and
//    `import()` alike) between folders of src/, and no-restricted-imports for the I/O
//    libraries core/ must not touch. test/unit/lint-boundaries.test.ts checks they fire.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

// ---- the layering ---------------------------------------------------------------------

/** Who may import whom inside src/ (paths from the repository root). */
const LAYERS = [
  {
    target: './src/core',
    from: ['./src/adapters', './src/http', './src/worker', './src/speech', './src/extraction', './src/cli', './src/app.ts'],
    message: 'core/ is the domain: it reaches the outside only through core/ports/ (see docs/architecture.md).',
  },
  {
    target: ['./src/http', './src/worker'],
    from: './src/adapters',
    message: 'http/ and worker/ use the ports in core/ports/; adapters are wired in src/app.ts.',
  },
  {
    target: './src/adapters',
    from: ['./src/http', './src/worker', './src/cli'],
    message: 'Adapters implement core/ports/ and know nothing of their callers.',
  },
  {
    target: ['./src/extraction', './src/speech'],
    from: ['./src/adapters', './src/http', './src/worker'],
    message: 'extraction/ and speech/ are rooms of their own: they reach the rest through core/, never the edges.',
  },
  {
    target: './src/client',
    from: './src',
    // The wire schemas and error codes are the protocol the client speaks: imported as types
    // only (erased in dist/), so the client ships none of the server.
    except: ['./client', './http/schemas.ts', './core/errors.ts'],
    message: 'src/client/ is the published HTTP client: it imports nothing from the rest of src/ but the protocol types.',
  },
];

/** Only the composition root constructs adapters (docs/architecture.md: "Nothing else constructs an adapter"). */
const ONLY_APP_OPENS_ADAPTERS = {
  target: './src',
  from: './src/adapters',
  message: 'Only src/app.ts (the composition root) imports adapters.',
};


/** I/O libraries core/ must not import (it gets their effects through core/ports/). */
const IO_BUILTINS = [
  'fs',
  'fs/promises',
  'child_process',
  'net',
  'http',
  'https',
  'http2',
  'dgram',
  'dns',
  'dns/promises',
  'tls',
  'cluster',
  'worker_threads',
  'readline',
  'module', // createRequire would step round these rules
  'sqlite',
];
const IO_PACKAGES = [
  'better-sqlite3',
  'kysely',
  'pg',
  'pg-boss',
  'fastify',
  'ws',
  'pino',
  'koffi',
  'onnxruntime-node',
  'undici',
  'commander',
  'prom-client',
];
const IO_PACKAGE_SCOPES = ['@aws-sdk/*', '@fastify/*', '@fugood/*', '@ffmpeg-installer/*', 'pg-*'];
const coreIoMessage = 'core/ uses no I/O library: add a port in core/ports/ and an adapter in src/adapters/.';

const boundaries = (zones) => ['error', { basePath: root, zones }];

// ---- the config -----------------------------------------------------------------------

export default defineConfig(
  {
    ignores: [
      '**/node_modules/**',
      'dist/**',
      'models/**',
      'data/**',
      'test/artifacts/**',
      '.tmp/**',
      '.scratch/**',
      // deliberately wrong imports, linted only by test/unit/lint-boundaries.test.ts
      'test/fixtures/lint/**',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // `project` rather than `projectService`: the same two programs, built once, in half the time
        project: ['./tsconfig.json', './web/tsconfig.json'],
        tsconfigRootDir: root,
      },
    },
    rules: {
      // JSON bodies in tests, Kysely<any> in migrations: deliberate, and a style question rather than a bug
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return a promise the runner itself awaits
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  // the browser console (web/, its own tsconfig)
  {
    files: ['web/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // in no tsconfig: linted without type information
  {
    files: ['web/vite.config.ts'],
    extends: [tseslint.configs.disableTypeChecked],
  },

  // ---- import boundaries (src/ only) ----
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // TypeScript sources imported as `./x.js` (NodeNext)
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'], extensionAlias: { '.js': ['.ts', '.js'] } }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': boundaries([...LAYERS, ONLY_APP_OPENS_ADAPTERS]),
    },
  },
  {
    files: ['src/adapters/**/*.ts', 'src/app.ts'],
    rules: {
      'import-x/no-restricted-paths': boundaries(LAYERS),
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...IO_BUILTINS.flatMap((m) => [m, `node:${m}`]), ...IO_PACKAGES].map((name) => ({ name, message: coreIoMessage })),
          patterns: [{ group: [...IO_PACKAGES.map((p) => `${p}/*`), ...IO_PACKAGE_SCOPES], message: coreIoMessage }],
        },
      ],
      // no-restricted-imports does not see import(); core/ has no reason to load modules lazily
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportExpression', message: 'core/ has no dynamic imports (they would escape the import boundaries).' },
      ],
    },
  },
  // the client's two windows on the server (LAYERS' except) are for types only: a value import
  // would bundle server code into the published client
  {
    files: ['src/client/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../http/*', '../core/*'],
              allowTypeImports: true,
              message: 'src/client/ imports the protocol from the server as types only (import type).',
            },
          ],
        },
      ],
    },
  },
);
