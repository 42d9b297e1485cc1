export { AsrServerError, OpenAiTranscriber, parseSegments, type OpenAiTranscriberOptions } from './transcriber.js';
