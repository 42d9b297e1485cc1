export { PocketsphinxTranscriber, TranscriberError, type PocketsphinxTranscriberOptions } from './transcriber.js';
export { PocketsphinxEngine, defaultMedicalVocabulary, type EngineOptions, type VocabularyOptions } from './engine.js';
export { PocketsphinxUnavailableError, defaultModelPaths, DEBIAN_MODEL_DIR, type ModelPaths } from './native.js';
