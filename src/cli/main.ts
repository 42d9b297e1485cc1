#!/usr/bin/env node
import { Command } from 'commander';
import { selectExtractor } from '../extraction/select.js';
import { ConfigError, loadConfig } from '../config.js';
import { runAudit, type AuditCommand } from './audit.js';
import { runBlobsReencrypt } from './blobs.js';
import { runExtract } from './extract.js';
import { runKeys } from './keys.js';
import { runMigrate } from './migrate.js';
import { runModelsList, runModelsPull } from './models.js';
import { runServe } from './serve.js';

const program = new Command()
  .name('openscribe')
  .description('Self-hostable medical scribe service (EkaScribe / MedScribeAlliance v0.1 protocol)')
  .showHelpAfterError();

program
  .command('serve')
  .description('Run the API (and, unless --no-worker, the processing worker) — PORT, HOST, OPENSCRIBE_DATA_DIR, OPENSCRIBE_PUBLIC_URL')
  .option('--no-worker', 'serve the API only; run `openscribe worker` elsewhere')
  .action((opts: { worker: boolean }) => runServe(loadConfig(), { worker: opts.worker, api: true }));

program
  .command('worker')
  .description('Run the processing worker only')
  .action(() => runServe(loadConfig(), { worker: true, api: false }));

program
  .command('migrate')
  .description('Create or upgrade the database schema')
  .action(() => runMigrate(loadConfig()));

program
  .command('extract')
  .description('Read a transcript on stdin (plain text or Doctor:/Patient: lines) and print the templates as JSON')
  .option('--template <id>', 'template id (repeatable; default: all)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--mode <mode>', 'consultation or dictation', 'consultation')
  .option('--format <format>', 'json or pretty', 'json')
  .action((opts: { template: string[]; mode: string; format: string }) => {
    if (opts.mode !== 'consultation' && opts.mode !== 'dictation') throw new Error('--mode must be consultation or dictation');
    if (opts.format !== 'json' && opts.format !== 'pretty') throw new Error('--format must be json or pretty');
    return runExtract(selectExtractor(loadConfig()), { template: opts.template, mode: opts.mode, format: opts.format });
  });

const keys = program.command('keys').description('Manage API keys (stored hashed; a key is shown once)');
keys
  .command('create')
  .description('Create a key for a tenant (the tenant is created if new); prints the key alone on the last line')
  .requiredOption('--tenant <name>', 'tenant (EMR organisation) name')
  .option('--env <env>', 'key environment: live or test')
  .action((opts: { tenant: string; env?: string }) => runKeys(loadConfig(), { action: 'create', ...opts }));
keys
  .command('list')
  .description('List keys (ids and prefixes, never the keys)')
  .option('--tenant <name>', 'only this tenant')
  .action((opts: { tenant?: string }) => runKeys(loadConfig(), { action: 'list', ...opts }));
keys
  .command('revoke')
  .description('Revoke a key by id')
  .argument('<key-id>')
  .action((keyId: string) => runKeys(loadConfig(), { action: 'revoke', keyId }));

program
  .command('audit')
  .description('Print the audit log (who, what, when, which session; never content), newest first')
  .option('--tenant <name>', 'only this tenant')
  .option('--session <id>', 'only this session')
  .option('--since <iso>', 'entries at or after this time')
  .option('--until <iso>', 'entries before this time')
  .option('--action <action>', 'only this action, e.g. session.create')
  .option('--limit <n>', 'at most this many entries', '100')
  .option('--json', 'a JSON array')
  .action((opts: AuditCommand) => runAudit(loadConfig(), opts));

const models = program.command('models').description('whisper.cpp speech recognition models (OPENSCRIBE_MODELS_DIR)');
models
  .command('list')
  .description('Known models, their sizes, and which are present')
  .action(() => runModelsList(loadConfig()));
models
  .command('pull')
  .description('Download a model, verify its checksum, and put it in the models dir')
  .argument('<name>', 'model name, e.g. base.en (see `models list`)')
  .option('--url <url>', 'download from this URL instead (OPENSCRIBE_MODELS_BASE_URL sets the default host)')
  .option('--sha256 <hex>', 'expected SHA-256 (default: the published SHA-1 of a known model)')
  .option('--sha1 <hex>', 'expected SHA-1')
  .option('--force', 'download again even if present')
  .action((name: string, opts: { url?: string; sha256?: string; sha1?: string; force?: boolean }) => runModelsPull(loadConfig(), name, opts));

const blobs = program.command('blobs').description('Stored audio (OPENSCRIBE_BLOB_STORE, OPENSCRIBE_ENCRYPTION_KEYS)');
blobs
  .command('reencrypt')
  .description('Rewrite every blob not under the active (first) encryption key under it; prints counts; safe to run again')
  .action(() => runBlobsReencrypt(loadConfig()));

program
  .command('transcribe')
  .description('Transcribe audio files through the session protocol and print the note (embedded server unless --server)')
  .argument('<files...>', 'audio files (any format ffmpeg reads), joined in order')
  .option('--template <id>', 'template id (repeatable; default: the server default)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--server <url>', 'use this server instead of an embedded one')
  .option('--key <key>', 'API key for --server (default: OPENSCRIBE_KEY)')
  .option('--format <format>', 'md, json or fhir', 'md')
  .option('--chunk-seconds <n>', 'chunk length, as a recorder would upload', '10')
  .option('--mode <mode>', 'consultation or dictation', 'consultation')
  .action(async (files: string[], opts: { template: string[]; server?: string; key?: string; format: string; chunkSeconds: string; mode: string }) => {
    if (!['md', 'json', 'fhir'].includes(opts.format)) throw new Error('--format must be md, json or fhir');
    if (opts.mode !== 'consultation' && opts.mode !== 'dictation') throw new Error('--mode must be consultation or dictation');
    const { runTranscribe } = await import('./transcribe.js');
    await runTranscribe(files, { ...opts, format: opts.format as 'md' | 'json' | 'fhir', mode: opts.mode, chunkSeconds: Number(opts.chunkSeconds) });
  });

program
  .command('doctor')
  .description('Check ffmpeg, the speech recogniser, database, storage and disk space; exit 1 if anything is broken')
  .action(async () => {
    const { runDoctor } = await import('./doctor.js');
    let config;
    try {
      config = loadConfig();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stdout.write(`✗ configuration: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    await runDoctor(config);
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
