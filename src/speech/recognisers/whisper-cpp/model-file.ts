/**
 * A structural check of a whisper.cpp ggml model file before the engine sees
 * it. whisper.cpp does not check its reads: a truncated download loads
 * "successfully" with garbage weights, or aborts the process. Walking the
 * headers (no weights are read) finds where the file ends short.
 *
 * Layout: magic, 11 int32 hparams, mel filters (n_mel, n_fft, floats),
 * vocabulary (count, then length-prefixed words), then tensors to the end of
 * the file (n_dims, name length, type, dims, name, data).
 */
import fs from 'node:fs';

export class WhisperModelFileError extends Error {
  override name = 'WhisperModelFileError';
}

const GGML_MAGIC = 0x67676d6c;
/** ggml tensor type → [bytes per block, elements per block]; types not listed end the check early (the engine judges them). */
const TYPE_SIZES: Readonly<Record<number, readonly [number, number]>> = {
  0: [4, 1], 1: [2, 1], 2: [18, 32], 3: [20, 32], 6: [22, 32], 7: [24, 32], 8: [34, 32], 9: [36, 32],
  10: [84, 256], 11: [110, 256], 12: [144, 256], 13: [176, 256], 14: [210, 256], 15: [292, 256], 30: [2, 1],
};

class Reader {
  private readonly buf = Buffer.alloc(64);
  pos = 0;
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  need(bytes: number, what: string): void {
    if (this.pos + bytes > this.size) {
      throw new WhisperModelFileError(`the file is truncated: ${what} needs ${bytes} bytes at offset ${this.pos}, but the file ends at ${this.size}`);
    }
  }

  int32(what: string): number {
    this.need(4, what);
    fs.readSync(this.fd, this.buf, 0, 4, this.pos);
    this.pos += 4;
    return this.buf.readInt32LE(0);
  }

  skip(bytes: number, what: string): void {
    this.need(bytes, what);
    this.pos += bytes;
  }
}

/** Throws WhisperModelFileError when the file is not a ggml Whisper model or ends short. */
export function checkWhisperModelFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    const r = new Reader(fd, fs.fstatSync(fd).size);
    if (r.int32('the magic number') >>> 0 !== GGML_MAGIC) throw new WhisperModelFileError('not a ggml Whisper model (bad magic number)');
    const hparams = Array.from({ length: 11 }, () => r.int32('the model header'));
    const [nVocab, , , , , , , , , nMels] = hparams as [number, number, number, number, number, number, number, number, number, number, number];
    if (hparams.slice(0, 10).some((v) => v <= 0 || v > 1_000_000)) throw new WhisperModelFileError('not a ggml Whisper model (implausible header)');
    const nMel = r.int32('the mel filters');
    const nFft = r.int32('the mel filters');
    if (nMel !== nMels || nFft <= 0 || nFft > 10_000) throw new WhisperModelFileError('not a ggml Whisper model (mel filters do not match the header)');
    r.skip(nMel * nFft * 4, 'the mel filters');
    const words = r.int32('the vocabulary');
    if (words < 0 || words > nVocab + 1000) throw new WhisperModelFileError('not a ggml Whisper model (implausible vocabulary)');
    for (let i = 0; i < words; i++) r.skip(r.int32('the vocabulary') >>> 0, 'the vocabulary');
    let tensors = 0;
    while (r.pos < r.size) {
      const what = `tensor ${tensors + 1}`;
      const nDims = r.int32(what);
      const nameLength = r.int32(what);
      const type = r.int32(what);
      if (nDims < 1 || nDims > 4 || nameLength <= 0 || nameLength > 256) throw new WhisperModelFileError(`corrupt tensor header at ${what}`);
      let elements = 1;
      for (let d = 0; d < nDims; d++) elements *= r.int32(what);
      r.skip(nameLength, what);
      const size = TYPE_SIZES[type];
      if (!size) return;
      if (elements <= 0 || elements % size[1] !== 0) throw new WhisperModelFileError(`corrupt tensor header at ${what}`);
      r.skip((elements / size[1]) * size[0], `the weights of ${what}`);
      tensors++;
    }
    if (tensors === 0) throw new WhisperModelFileError('the file is truncated: it holds no weights');
  } finally {
    fs.closeSync(fd);
  }
}
