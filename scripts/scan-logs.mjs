#!/usr/bin/env node
// Scans every file under a directory for secrets that must never reach a log:
// API keys, webhook secrets and Authorization header values. Prints file:line and a
// masked excerpt for each hit (never the whole secret), exits 1 when any is found.
//
//   node scripts/scan-logs.mjs <dir>
import fs from 'node:fs';
import path from 'node:path';

const PATTERNS = [
  { kind: 'api key', re: /sk_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'webhook secret', re: /whsec_[A-Za-z0-9_-]{8,}/g },
  // A header value: `authorization: Bearer x`, `"authorization":"Basic x"`, `Authorization=x`.
  { kind: 'authorization header', re: /["']?authorization["']?\s*[:=]\s*["']?(?:Bearer|Basic|Token)\s+[^\s"',}]{6,}/gi },
];

/** The first few characters of a secret, then asterisks: enough to find it, not to use it. */
export function mask(secret) {
  const keep = Math.min(8, Math.floor(secret.length / 3));
  return `${secret.slice(0, keep)}${'*'.repeat(Math.max(4, secret.length - keep))}`;
}

// The one deliberate exception: on its first start in development, `openscribe serve`
// prints a test-environment key for the person at the terminal (src/cli/serve.ts).
const BOOTSTRAP_BANNER = /^First start: created tenant "[^"]*" with this API key \(shown once\):$/;
const BOOTSTRAP_KEY = /^ {2}export OPENSCRIBE_KEY=sk_test_[A-Za-z0-9]+$/;

/** Every secret in a text: [{ line, kind, masked }]. */
export function scanText(text) {
  const hits = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (i > 0 && BOOTSTRAP_BANNER.test(lines[i - 1]) && BOOTSTRAP_KEY.test(lines[i])) continue;
    for (const { kind, re } of PATTERNS) {
      for (const m of lines[i].matchAll(re)) hits.push({ line: i + 1, kind, masked: mask(m[0]) });
    }
  }
  return hits;
}

function* files(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

export function scanDir(dir) {
  const found = [];
  for (const file of files(dir)) {
    for (const hit of scanText(fs.readFileSync(file, 'utf8'))) found.push({ file, ...hit });
  }
  return found;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('scan-logs.mjs')) {
  const dir = process.argv[2];
  if (!dir || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    console.error('usage: scan-logs.mjs <dir>');
    process.exit(2);
  }
  const found = scanDir(dir);
  for (const h of found) console.error(`${h.file}:${h.line}: ${h.kind}: ${h.masked}`);
  if (found.length) {
    console.error(`log scan: ${found.length} secret(s) found`);
    process.exit(1);
  }
  console.log(`log scan: no secrets in ${dir}`);
}
