/**
 * whisper.cpp ggml models: the known names, where they are downloaded from and
 * their checksums, and how a configured model name or path becomes a file.
 *
 * Checksums are the SHA-1 values whisper.cpp publishes in models/README.md
 * (upstream publishes no SHA-256); transport is HTTPS, the hash guards against
 * truncated or swapped files.
 */
import path from 'node:path';
import { isModelName, isModelPath } from '../../../config.js';

export interface KnownWhisperModel {
  name: string;
  /** Approximate size on disk, as upstream states it. */
  size: string;
  sha1: string;
}

export const KNOWN_WHISPER_MODELS: readonly KnownWhisperModel[] = [
  { name: 'tiny', size: '75 MiB', sha1: 'bd577a113a864445d4c299885e0cb97d4ba92b5f' },
  { name: 'tiny.en', size: '75 MiB', sha1: 'c78c86eb1a8faa21b369bcd33207cc90d64ae9df' },
  { name: 'base', size: '142 MiB', sha1: '465707469ff3a37a2b9b8d8f89f2f99de7299dac' },
  { name: 'base.en', size: '142 MiB', sha1: '137c40403d78fd54d454da0f9bd998f78703390c' },
  { name: 'small', size: '466 MiB', sha1: '55356645c2b361a969dfd0ef2c5a50d530afd8d5' },
  { name: 'small.en', size: '466 MiB', sha1: 'db8a495a91d927739e50b3fc1cc4c6b8f6c2d022' },
  { name: 'small.en-tdrz', size: '465 MiB', sha1: 'b6c6e7e89af1a35c08e6de56b66ca6a02a2fdfa1' },
  { name: 'medium', size: '1.5 GiB', sha1: 'fd9727b6e1217c2f614f9b698455c4ffd82463b4' },
  { name: 'medium.en', size: '1.5 GiB', sha1: '8c30f0e44ce9560643ebd10bbe50cd20eafd3723' },
  { name: 'large-v1', size: '2.9 GiB', sha1: 'b1caaf735c4cc1429223d5a74f0f4d0b9b59a299' },
  { name: 'large-v2', size: '2.9 GiB', sha1: '0f4c8e34f21cf1a914c59d8b3ce882345ad349d6' },
  { name: 'large-v2-q5_0', size: '1.1 GiB', sha1: '00e39f2196344e901b3a2bd5814807a769bd1630' },
  { name: 'large-v3', size: '2.9 GiB', sha1: 'ad82bf6a9043ceed055076d0fd39f5f186ff8062' },
  { name: 'large-v3-q5_0', size: '1.1 GiB', sha1: 'e6e2ed78495d403bef4b7cff42ef4aaadcfea8de' },
];

export function knownWhisperModel(name: string): KnownWhisperModel | undefined {
  return KNOWN_WHISPER_MODELS.find((m) => m.name === name);
}

// What a model name or path may look like is the config's rule (config.ts validates it once).
export { isModelName, isModelPath };

export const modelFileName = (name: string): string => `ggml-${name}.bin`;

export interface ResolvedWhisperModel {
  /** `base.en`, or the file's base name for a path (`ggml-` and `.bin` taken off). */
  name: string;
  path: string;
  /** Configured as a path rather than a name. */
  isPath: boolean;
  /** Whether the model transcribes English only (`.en` models). */
  englishOnly: boolean;
}


/**
 * `OPENSCRIBE_WHISPER_MODEL` → the file: a name (`base.en`) is
 * `<modelsDir>/ggml-<name>.bin`; a path (`isModelPath`) is itself.
 */
export function resolveWhisperModel(spec: string, modelsDir: string): ResolvedWhisperModel {
  const isPath = isModelPath(spec);
  const file = isPath ? path.resolve(spec) : path.join(modelsDir, modelFileName(spec));
  const name = isPath ? path.basename(file).replace(/^ggml-/, '').replace(/\.bin$/, '') : spec;
  return { name, path: file, isPath, englishOnly: /\.en(\b|-|_|$)/.test(name) };
}
