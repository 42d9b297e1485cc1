import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

// What `npm publish` would ship: dist/ (tsc -p tsconfig.build.json, rootDir src) and the web
// console's bundle, never the build-only code of scripts/ (the recogniser's lexicon and LM
// builders), the benchmarks and evals of bench/ (WER, ROUGE, retrieval) or test/.

const root = path.resolve(import.meta.dirname, '../..');
const BUILD_ONLY_DIRS = ['scripts', 'bench', 'test'];

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'results' && e.name !== 'fixtures') walk(p, out);
    } else if (/\.(ts|mts|js|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}
const stem = (file: string) => path.basename(file).replace(/(\.d)?\.(ts|mts|js|mjs)(\.map)?$/, '');

/** The names of build-, bench- and test-only modules that no module of src/ shares (ngram, wer, rouge, medical-lexicon, …). */
function buildOnlyNames(): Set<string> {
  const shipped = new Set(walk(path.join(root, 'src')).map(stem));
  const names = BUILD_ONLY_DIRS.flatMap((d) => walk(path.join(root, d))).map(stem);
  return new Set(names.filter((n) => !shipped.has(n)));
}

/** Named like build- or bench-only code, whatever folder it landed in. */
const BUILD_ONLY_PATTERN = /lexicon[-_.]?builder|(^|[-_.])(ngram|wer|rouge|retrieval)([-_.]|$)|^build-/i;

test('npm pack ships nothing from scripts/, bench/ or test/ under dist/', (t) => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm pack --dry-run failed: ${r.stderr}`);
  const [pack] = JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>;
  const files = pack!.files.map((f) => f.path);

  // only what package.json `files` names (npm adds package.json, README, LICENSE itself)
  const stray = files.filter((f) => !/^(dist|migrations)\//.test(f) && !/^(package\.json|README\.md|LICENSE(\..*)?)$/i.test(f));
  assert.deepEqual(stray, [], 'packed outside dist/');

  const dist = files.filter((f) => f.startsWith('dist/'));
  if (!dist.length) {
    // Not built here (npm ci builds it through `prepare`): the next test checks the build's inputs.
    t.diagnostic('dist/ is not built: the packed file list has no dist/ to check');
    return;
  }
  assert.ok(
    dist.some((f) => f === 'dist/cli/main.js'),
    'dist/ has the CLI (is it built?)',
  );
  const names = buildOnlyNames();
  const offenders = dist.filter(
    (f) => BUILD_ONLY_DIRS.some((d) => f.startsWith(`dist/${d}/`)) || names.has(stem(f)) || BUILD_ONLY_PATTERN.test(stem(f)),
  );
  assert.deepEqual(offenders, [], 'build-, bench- or test-only code in the package');
});

test('the build (tsconfig.build.json) compiles src/ and nothing else', () => {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc --listFilesOnly failed: ${r.stdout}${r.stderr}`);
  const own = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => path.relative(root, f))
    .filter((f) => !f.startsWith('..') && !f.split(path.sep).includes('node_modules'));
  assert.ok(own.includes(path.join('src', 'cli', 'main.ts')), 'the build compiles src/cli/main.ts');
  assert.deepEqual(
    own.filter((f) => !f.startsWith(`src${path.sep}`)),
    [],
    'the build compiles files outside src/ (an import from scripts/, bench/ or test/?)',
  );
  const names = buildOnlyNames();
  assert.deepEqual(
    own.filter((f) => names.has(stem(f)) || BUILD_ONLY_PATTERN.test(stem(f))),
    [],
    'src/ holds a module named like build- or bench-only code',
  );
});

test('package.json ships dist/ and points into it', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    files: string[];
    bin: Record<string, string>;
    exports: Record<string, string>;
  };
  assert.ok(pkg.files.includes('dist'));
  assert.deepEqual(
    pkg.files.filter((f) => BUILD_ONLY_DIRS.some((d) => f === d || f.startsWith(`${d}/`))),
    [],
  );
  for (const target of [...Object.values(pkg.bin), ...Object.values(pkg.exports)]) assert.match(target, /^(\.\/)?dist\//);
});
