/** IDX format (LeCun's MNIST format): magic 0x00000801 (uint8, 1 dim) or 0x00000803 (uint8, 3 dims),
 * then big-endian uint32 dimensions, then the data. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export class DatasetFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "DatasetFileError";
  }
}

export function parseIdx(bytes: Uint8Array, file: string, expectDims?: 1 | 3): IdxArray {
  if (bytes.length < 8) throw new DatasetFileError(file, `too short to be an IDX file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = (magic >>> 8) & 0xff;
  const ndims = magic & 0xff;
  if (magic >>> 16 !== 0 || type !== 0x08 || (ndims !== 1 && ndims !== 3)) {
    throw new DatasetFileError(
      file,
      `wrong magic number 0x${magic.toString(16).padStart(8, "0")} (expected 0x00000801 for labels or 0x00000803 for images)`,
    );
  }
  if (expectDims && ndims !== expectDims) {
    throw new DatasetFileError(file, `has ${ndims} dimension(s), expected ${expectDims} (labels and images swapped?)`);
  }
  const header = 4 + 4 * ndims;
  if (bytes.length < header) throw new DatasetFileError(file, "truncated inside the header");
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - header;
  if (actual < expected) {
    throw new DatasetFileError(
      file,
      `truncated: header says ${dims.join("x")} = ${expected} bytes of data but the file has ${actual}`,
    );
  }
  if (actual > expected) {
    throw new DatasetFileError(file, `has ${actual - expected} unexpected trailing bytes after ${dims.join("x")} data`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Builds an IDX file (used for fixtures and tests). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 | dims.length, false);
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d, false);
  out.set(data, header);
  return out;
}
