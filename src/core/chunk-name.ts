import { ProtocolError } from './errors.js';
import { AUDIO_EXTENSIONS, type AudioExtension } from './audio-format.js';

/** A parsed upload file name: `<base>_<seq>.<ext>`, stored as `<seq>.<ext>`. */
export interface ChunkName {
  readonly original: string;
  readonly seq: number;
  readonly ext: AudioExtension;
  /** The name the session lists: `0.webm`, `1.webm`, … */
  readonly stored: string;
}

const MAX_NAME_LENGTH = 128;
const MAX_SEQ = 99_999;
// A plain file name: no separators, no "..", no control or shell-special characters.
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9 ._()+-]*$/;
// The base may not end in a separator: `audio_-1.wav` is not chunk 1.
const WITH_SEQ = /^(?:(.*[^_-])[_-])?(0|[1-9][0-9]*)\.([A-Za-z0-9]+)$/;
const WITHOUT_SEQ = /^(.*)\.([A-Za-z0-9]+)$/;

function invalid(name: string, why: string): ProtocolError {
  return new ProtocolError('invalid_file_name', `Invalid audio file name: ${why}`, {
    file_name: name.slice(0, MAX_NAME_LENGTH),
  });
}

function checkPlain(name: string): void {
  if (name.length === 0) throw invalid(name, 'empty');
  if (name.length > MAX_NAME_LENGTH) throw invalid(name, `longer than ${MAX_NAME_LENGTH} characters`);
  if (name.includes('..') || !PLAIN.test(name)) {
    throw invalid(name, 'only letters, digits, space and . _ - ( ) + are allowed, with no ".."');
  }
}

function checkExt(name: string, ext: string): AudioExtension {
  const lower = ext.toLowerCase();
  if (!(AUDIO_EXTENSIONS as readonly string[]).includes(lower)) {
    throw new ProtocolError('invalid_audio_format', `Unsupported audio file extension ".${ext}"`, {
      file_name: name,
      supported_extensions: AUDIO_EXTENSIONS,
    });
  }
  return lower as AudioExtension;
}

export const ChunkName = {
  /**
   * Parses a chunk name. `requireSeq` is true for chunked sessions; a `single`
   * upload is the whole recording, stored as seq 0 whatever its name.
   */
  parse(name: string, requireSeq: boolean): ChunkName {
    checkPlain(name);
    if (!requireSeq) {
      // A `single` session holds one recording: whatever digits its name carries
      // (visit_20240115.wav) are not a sequence number.
      const n = WITHOUT_SEQ.exec(name);
      if (!n) throw invalid(name, 'no file extension');
      const ext = checkExt(name, n[2]!);
      return { original: name, seq: 0, ext, stored: `0.${ext}` };
    }
    const m = WITH_SEQ.exec(name);
    if (m) {
      const seq = Number(m[2]);
      if (seq > MAX_SEQ) throw invalid(name, `sequence number above ${MAX_SEQ}`);
      const ext = checkExt(name, m[3]!);
      return { original: name, seq, ext, stored: `${seq}.${ext}` };
    }
    throw invalid(name, 'chunked uploads are named <base>_<seq>.<ext>, e.g. audio_0.webm (seq without padding)');
  },

  /** Numeric order of stored names: 2 before 10. */
  compare(a: { seq: number }, b: { seq: number }): number {
    return a.seq - b.seq;
  },
};
