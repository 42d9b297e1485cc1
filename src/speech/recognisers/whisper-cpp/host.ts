/**
 * The whisper.cpp engine process. The binding runs in its own process because
 * ggml aborts the whole process on some malformed model files (GGML_ASSERT):
 * here that ends this child, and the service reports it instead of dying.
 * Only messages go back to the parent; stdout is not read.
 */
import type { HostReply, HostRequest, RawSegment } from './protocol.js';

/** The part of @fugood/whisper.node used here (the package ships TypeScript sources, not declarations). */
interface WhisperContext {
  transcribeData(
    audio: ArrayBuffer,
    options: { language?: string; maxThreads?: number },
  ): { promise: Promise<{ language?: string; segments: RawSegment[] }> };
  release(): Promise<void>;
}
interface WhisperModule {
  WhisperContext: new (options: { filePath: string; useGpu?: boolean }) => WhisperContext;
}
interface WhisperPackage {
  loadWhisperModule(): Promise<WhisperModule>;
}

/** The npm package holding the binding (an optional dependency). */
export const WHISPER_BINDING_PACKAGE = '@fugood/whisper.node';

const send = (m: HostReply): void => void process.send?.(m);

async function loadBinding(): Promise<WhisperModule> {
  const specifier: string = WHISPER_BINDING_PACKAGE; // a variable: loaded only here, and only if installed
  const pkg = (await import(specifier)) as WhisperPackage & { default?: WhisperPackage };
  return (pkg.default ?? pkg).loadWhisperModule();
}

let ctx: WhisperContext | undefined;
let threads = 0;
let chain = Promise.resolve();

async function init(modelPath: string): Promise<void> {
  let binding: WhisperModule;
  try {
    binding = await loadBinding();
  } catch (err) {
    send({ type: 'init-error', message: (err as Error).message, bindingMissing: true });
    return;
  }
  try {
    ctx = new binding.WhisperContext({ filePath: modelPath, useGpu: false });
    send({ type: 'ready' });
  } catch (err) {
    send({ type: 'init-error', message: (err as Error).message, bindingMissing: false });
  }
}

async function transcribe(id: number, pcm: Int16Array, language: string): Promise<void> {
  try {
    if (!ctx) throw new Error('whisper.cpp model not loaded');
    const audio = pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength) as ArrayBuffer;
    const r = await ctx.transcribeData(audio, { language, ...(threads > 0 ? { maxThreads: threads } : {}) }).promise;
    const segments = (r.segments ?? []).map((s) => ({ text: String(s.text), t0: Number(s.t0), t1: Number(s.t1) }));
    send({ type: 'result', id, language: r.language || undefined, segments });
  } catch (err) {
    send({ type: 'error', id, message: (err as Error).message });
  }
}

process.on('message', (msg: HostRequest) => {
  if (msg.type === 'init') {
    threads = msg.threads;
    chain = chain.then(() => init(msg.modelPath));
  } else if (msg.type === 'transcribe') {
    chain = chain.then(() => transcribe(msg.id, msg.pcm, msg.language));
  } else {
    chain = chain.then(async () => {
      await ctx?.release();
      process.exit(0);
    });
  }
});
// The parent is gone: nothing left to serve.
process.on('disconnect', () => process.exit(0));
