export { WhisperCppTranscriber, WhisperModelMissingError, WhisperUnavailableError, whisperLanguage, type WhisperCppOptions } from './transcriber.js';
export { KNOWN_WHISPER_MODELS, isModelName, knownWhisperModel, modelFileName, resolveWhisperModel } from './models.js';
export type { KnownWhisperModel, ResolvedWhisperModel } from './models.js';
export { WHISPER_LANGUAGES, WHISPER_LANGUAGE_CODES, toIso6391 } from './languages.js';
export { checkWhisperModelFile, WhisperModelFileError } from './model-file.js';
export { toTranscriptSegments } from './segments.js';
