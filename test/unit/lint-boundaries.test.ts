import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

// The import boundaries of eslint.config.js (docs/architecture.md, "Dependency direction") fire on
// the deliberately wrong imports of test/fixtures/lint/ and stay quiet on the right ones. Each
// fixture is linted with the project's own config, as if it were a file at a path inside src/.

const root = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(root, 'test/fixtures/lint');
const BOUNDARY_RULES = new Set(['import-x/no-restricted-paths', 'no-restricted-imports', '@typescript-eslint/no-restricted-imports', 'no-restricted-syntax']);

const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: path.join(root, 'eslint.config.js'),
  // The text is linted at a path no tsconfig lists, so without type information (and without
  // the rules that need it); the boundary rules need none.
  overrideConfig: { files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked } as Linter.Config,
});

/** Line numbers of the fixture's lines marked `// reported` or `// allowed`. */
function marked(code: string, mark: 'reported' | 'allowed'): number[] {
  const re = new RegExp(`//\\s*${mark}\\b`);
  return code.split('\n').flatMap((line, i) => (re.test(line) ? [i + 1] : []));
}

/** The boundary reports on `fixture` linted as if it were `asFile`: distinct line numbers, and the messages. */
async function boundaryReports(fixture: string, asFile: string): Promise<{ lines: number[]; messages: string[] }> {
  const code = fs.readFileSync(path.join(FIXTURES, fixture), 'utf8');
  const [result] = await eslint.lintText(code, { filePath: path.join(root, asFile), warnIgnored: true });
  assert.ok(result, 'ESLint returned no result');
  const broken = result.messages.filter((m) => m.fatal || !m.ruleId);
  assert.deepEqual(broken, [], `${fixture} as ${asFile}: not linted (ignored, or a parse/config error)`);
  const hits = result.messages.filter((m) => BOUNDARY_RULES.has(m.ruleId!));
  return {
    lines: [...new Set(hits.map((m) => m.line))].sort((a, b) => a - b),
    messages: hits.map((m) => `${m.line}: ${m.ruleId}: ${m.message}`),
  };
}

async function assertAsMarked(fixture: string, asFile: string): Promise<void> {
  const code = fs.readFileSync(path.join(FIXTURES, fixture), 'utf8');
  const reported = marked(code, 'reported');
  assert.ok(reported.length > 0 && marked(code, 'allowed').length > 0, `${fixture} marks both kinds of line`);
  const got = await boundaryReports(fixture, asFile);
  assert.deepEqual(got.lines, reported, `${fixture} as ${asFile}: reported lines\n${got.messages.join('\n')}`);
}

test('core/ imports neither the outer layers nor an I/O library, statically, as a type or dynamically', async () => {
  await assertAsMarked('core-imports-adapter.ts', 'src/core/lint-fixture.ts');
});

test('only src/app.ts opens adapters: every other layer is told so', async () => {
  for (const layer of ['http', 'worker', 'speech', 'extraction', 'sdk', 'cli']) {
    await assertAsMarked('layer-imports-adapter.ts', `src/${layer}/lint-fixture.ts`);
  }
});

test('no CLI command opens adapters itself: they go through src/app.ts', async () => {
  const reported = marked(fs.readFileSync(path.join(FIXTURES, 'layer-imports-adapter.ts'), 'utf8'), 'reported');
  for (const cmd of ['keys', 'audit', 'migrate', 'blobs', 'doctor', 'main']) {
    assert.deepEqual((await boundaryReports('layer-imports-adapter.ts', `src/cli/${cmd}.ts`)).lines, reported, `src/cli/${cmd}.ts`);
  }
});

test('the composition root imports adapters; a top-level module beside it does not', async () => {
  const code = "import { openDatabase } from './adapters/db/open.js';\nexport const used = openDatabase;\n";
  const lint = async (asFile: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, asFile), warnIgnored: true });
    return result!.messages.filter((m) => m.fatal || BOUNDARY_RULES.has(m.ruleId!)).map((m) => m.line);
  };
  assert.deepEqual(await lint('src/app.ts'), []);
  assert.deepEqual(await lint('src/config.ts'), [1]);
});

test('speech/ and extraction/ import neither http/ nor worker/', async () => {
  await assertAsMarked('room-imports-edge.ts', 'src/speech/lint-fixture.ts');
  await assertAsMarked('room-imports-edge.ts', 'src/extraction/lint-fixture.ts');
});

test('adapters/ import neither http/, worker/ nor cli/', async () => {
  await assertAsMarked('adapter-imports-caller.ts', 'src/adapters/lint-fixture.ts');
});

test('the published client (src/client/) imports nothing from the rest of src/ but the protocol types, as types', async () => {
  await assertAsMarked('client-imports-src.ts', 'src/client/lint-fixture.ts');
});

test('the fixtures are outside the normal lint run and the TypeScript programs', async () => {
  assert.equal(await eslint.isPathIgnored(path.join(FIXTURES, 'core-imports-adapter.ts')), true);
  const tsconfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as { exclude?: string[] };
  assert.ok(tsconfig.exclude?.includes('test/fixtures/lint'), 'tsconfig.json excludes test/fixtures/lint');
});
