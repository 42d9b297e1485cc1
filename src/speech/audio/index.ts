export { decodeToPcm, decodePcmStream, decodeTail, countSamples, type AudioSource, type DecodeOptions, type DecodedAudio } from './decode.js';
export { decodeChunk, looksStandalone, type ChunkDecodeOptions, type DecodedChunk, type ReopenableSource } from './chunks.js';
export { locateFfmpeg, bundledFfmpegPath, type FfmpegInfo } from './ffmpeg.js';
export { AudioError, FfmpegMissingError, UndecodableAudioError, DecodeTimeoutError, VadUnavailableError } from './errors.js';
export { SileroVad, splitAtPauses, segmentsFromProbabilities, type SpeechSegment, type Piece, type VadOptions } from './vad.js';
export { readWav, writeWav, parseWavHeader, wavHeader } from './wav.js';
export { SAMPLE_RATE, slicePcm, rmsDbfs, samplesToSeconds, secondsToSamples } from './pcm.js';
