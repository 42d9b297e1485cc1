import { SileroVad } from '../../speech/audio/vad.js';
import type { FrameScorer } from './segmenter.js';

/** One Silero VAD model per process, loaded on the first stream; undefined when it cannot load. */
export function sharedVadScorer(log: { warn(obj: object, msg: string): void }): () => Promise<FrameScorer | undefined> {
  let loading: Promise<FrameScorer | undefined> | undefined;
  return () =>
    (loading ??= SileroVad.load().then(
      (vad) => (pcm: Int16Array) => vad.frameProbabilities(pcm),
      (err: Error) => {
        log.warn({ err: { message: err.message } }, 'Silero VAD unavailable: stream chunks are cut at 25 s');
        return undefined;
      },
    ));
}
