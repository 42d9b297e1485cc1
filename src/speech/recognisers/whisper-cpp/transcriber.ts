/**
 * `Transcriber` adapter `whisper-cpp`: whisper.cpp through @fugood/whisper.node
 * (prebuilt binaries), run in a child process (see host.ts). whisper.cpp cuts
 * long audio into 30 s windows itself, so chunks are passed whole.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PermanentTranscriberError, type Transcriber, type Transcription } from '../../../core/ports/transcriber.js';
import { samplesToSeconds } from '../../audio/pcm.js';
import { EngineProcess, type EngineRequest } from '../engine-process.js';
import { WHISPER_LANGUAGE_CODES, toIso6391 } from './languages.js';
import { checkWhisperModelFile } from './model-file.js';
import { knownWhisperModel, type ResolvedWhisperModel } from './models.js';
import type { HostReply, HostRequest } from './protocol.js';
import { toTranscriptSegments } from './segments.js';

/** How much of the engine's stderr is kept to explain a failed start (it holds no audio or text then). */
const STDERR_TAIL = 4096;

/** The model file is not there: the fix is to download it. */
export class WhisperModelMissingError extends Error {
  override name = 'WhisperModelMissingError';
}

/** The binding or the model could not be loaded. */
export class WhisperUnavailableError extends Error {
  override name = 'WhisperUnavailableError';
}

export interface WhisperCppOptions {
  model: ResolvedWhisperModel;
  /** CPU threads per transcription; 0 (default) = the binding's choice (≤ 8). */
  threads?: number;
}

/** How to get the model: `openscribe models pull <name>` for a catalogue name, else where to look. */
export const pullHint = (model: ResolvedWhisperModel): string =>
  knownWhisperModel(model.name) && !model.isPath
    ? `download it with: openscribe models pull ${model.name}`
    : 'download a model with `openscribe models pull <name>` (`openscribe models list` shows the names) and set OPENSCRIBE_WHISPER_MODEL to it';

/** The built host.js beside this file, or host.ts through tsx when running from sources. */
function startHost(): ChildProcess {
  const js = fileURLToPath(new URL('./host.js', import.meta.url));
  const [file, execArgv] = fs.existsSync(js) ? [js, []] : [fileURLToPath(new URL('./host.ts', import.meta.url)), ['--import', 'tsx']];
  return fork(file, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
}

interface Pending extends EngineRequest<Transcription> {
  durationSec: number;
  hint: string | undefined;
}

/** The last lines of whisper.cpp's log that say what went wrong. */
function reason(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => /error|fail|invalid|assert|abort|bad|unknown|cannot|unable/i.test(l));
  return lines.slice(-3).map((l) => l.trim()).join(' | ');
}

async function boot(model: ResolvedWhisperModel, threads: number): Promise<ChildProcess> {
  const child = startHost();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_TAIL);
  });
  const fail = (what: string) =>
    new WhisperUnavailableError(`whisper.cpp could not load the model ${model.path}: ${what}. If the file is truncated or not a ggml Whisper model, ${pullHint(model)}`);
  try {
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: HostReply) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'init-error' && m.bindingMissing) {
          reject(new WhisperUnavailableError(`the whisper.cpp binding is not usable (npm install @fugood/whisper.node): ${m.message}`));
        } else if (m.type === 'init-error') {
          const why = reason(stderr);
          reject(fail(why ? `${m.message} (${why})` : m.message));
        }
      });
      child.once('error', (err) => reject(new WhisperUnavailableError(`cannot start the whisper.cpp engine process: ${err.message}`)));
      child.once('exit', (code, signal) => {
        const why = reason(stderr);
        reject(fail(`the engine ${signal ? `was killed by ${signal}` : `exited with code ${code}`} while loading${why ? ` (${why})` : ''}`));
      });
      child.send({ type: 'init', modelPath: model.path, threads } satisfies HostRequest);
    });
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw err;
  }
  child.removeAllListeners('message');
  child.removeAllListeners('error');
  child.removeAllListeners('exit');
  child.stderr!.removeAllListeners('data');
  child.stderr!.resume(); // keep draining; the log is not kept once running (it could echo decoding details)
  return child;
}

/**
 * The language whisper.cpp is told: the hint as ISO 639-1, `auto` (detect) when
 * there is none or Whisper does not know it. An English-only model refuses any
 * other language: retrying cannot change that.
 */
export function whisperLanguage(model: Pick<ResolvedWhisperModel, 'name' | 'englishOnly'>, requested: string | undefined): string {
  const hint = toIso6391(requested);
  if (model.englishOnly) {
    if (requested && hint !== 'en') throw new PermanentTranscriberError(`whisper model ${model.name} transcribes English only, not "${requested}"`);
    return 'en';
  }
  return hint ?? 'auto';
}

export class WhisperCppTranscriber implements Transcriber {
  readonly id: string;
  readonly languages: readonly string[];
  readonly splitsAtPauses = true;
  readonly note: string | undefined = undefined;
  private readonly engine: EngineProcess<Transcription, Pending>;

  private constructor(
    child: ChildProcess,
    readonly model: ResolvedWhisperModel,
    threads: number,
  ) {
    ({ id: this.id, languages: this.languages } = WhisperCppTranscriber.describe(model));
    this.engine = new EngineProcess<Transcription, Pending>(child, {
      boot: () => boot(model, threads),
      settle: (reply, request) => {
        const m = reply as HostReply;
        if (m.type === 'error') {
          request.reject(new Error(`whisper.cpp transcription failed: ${m.message}`));
        } else if (m.type === 'result') {
          const language = toIso6391(m.language) ?? request.hint ?? (model.englishOnly ? 'en' : 'und');
          request.resolve({ segments: toTranscriptSegments(m.segments, request.durationSec), language });
        }
      },
      // A plain Error: the job is retried, on a new engine process.
      crashError: (why) => new Error(`whisper.cpp engine ${why}`),
      closedError: () => new Error('transcriber is closed'),
      closeMessage: { type: 'close' } satisfies HostRequest,
    });
  }

  /** Engine processes started after a crash. */
  get restarts(): number {
    return this.engine.restarts;
  }

  /** The id and languages a transcriber on this model has, without loading it. */
  static describe(model: ResolvedWhisperModel): { id: string; languages: readonly string[] } {
    return { id: `whisper-cpp-${model.name}`, languages: model.englishOnly ? ['en'] : WHISPER_LANGUAGE_CODES };
  }

  /** Checks the model file, starts the engine process and loads the model; rejects with a reason an operator can act on. */
  static async create(options: WhisperCppOptions): Promise<WhisperCppTranscriber> {
    const { model, threads = 0 } = options;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(model.path);
    } catch {
      throw new WhisperModelMissingError(`whisper.cpp model not found at ${model.path}; ${pullHint(model)}`);
    }
    if (!stat.isFile() || stat.size === 0) {
      throw new WhisperModelMissingError(`whisper.cpp model at ${model.path} is ${stat.isFile() ? 'empty' : 'not a file'}; ${pullHint(model)}`);
    }
    try {
      checkWhisperModelFile(model.path);
    } catch (err) {
      throw new WhisperUnavailableError(`whisper.cpp model at ${model.path} is unusable: ${(err as Error).message}; ${pullHint(model)}`);
    }
    return new WhisperCppTranscriber(await boot(model, threads), model, threads);
  }

  async transcribe(pcm16kMono: Int16Array, options: { language?: string } = {}): Promise<Transcription> {
    const language = whisperLanguage(this.model, options.language);
    return this.engine.request((id) => ({ type: 'transcribe', id, pcm: pcm16kMono, language }) satisfies HostRequest, {
      durationSec: samplesToSeconds(pcm16kMono.length),
      hint: language === 'auto' ? undefined : language,
    });
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
