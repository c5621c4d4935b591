// The common predict body, {"instances": [[784 numbers in [0,1]], ...]}, read straight from its
// bytes into a Float32Array: no string decoding, no JSON tree, no per-pixel work beyond the digits.
// It gives exactly the pixels JSON.parse would (see below), and declines (null) anything else
// (other shapes or keys, b64, a value out of range, bad JSON, over the instance limit): the general
// parser (request.ts) then reads the body and words the error. So the answer is the same either way.
import { MAX_INSTANCES, PIXELS } from "./limits";

// Scratch for the largest body allowed; each request gets its exact-size copy.
let scratch: Float32Array | null = null;
const KEY = Buffer.from('"instances"');
/** 10^0 .. 10^22: exact doubles. */
const POW10 = new Float64Array(23).map((_, i) => 10 ** i);
const LOW = 1 - 2 ** -50;
const HIGH = 1 + 2 ** -50;

/**
 * The pixels of a body of flat 784-number instances, or null to leave the body to JSON.parse.
 * Numbers follow JSON's grammar strictly. Clinger's fast path makes them exact: with at most 15
 * significant digits the digits form an exact integer m, and m / 10^k (k <= 22) is one correctly
 * rounded IEEE division, the same double JSON.parse gives. With 16 to 19 digits (0.12345678901234568
 * from p / 255) m / 10^k is within 5 ulps of that double, and the pixel is a float32: unless the
 * value lies within 2^-50 of a float32 rounding boundary (then Number() reads the text), both round
 * to the same float32. Negative numbers are declined (-0 included).
 */
export function scanFlatInstances(b: Uint8Array): { input: Float32Array; n: number } | null {
  const len = b.length;
  let p = 0;
  let c = 0;
  // Whitespace: space, tab, LF, CR.
  const ws = () => {
    for (c = b[p]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = b[++p]);
  };
  ws();
  if (b[p++] !== 0x7b) return null; // {
  ws();
  if (p + KEY.length > len) return null;
  for (let i = 0; i < KEY.length; i++) if (b[p + i] !== KEY[i]) return null;
  p += KEY.length;
  ws();
  if (b[p++] !== 0x3a) return null; // :
  ws();
  if (b[p++] !== 0x5b) return null; // [
  scratch ??= new Float32Array(MAX_INSTANCES * PIXELS);
  const out = scratch;
  let n = 0;
  for (;;) {
    if (n === MAX_INSTANCES) return null;
    ws();
    if (b[p++] !== 0x5b) return null; // [
    const at = n * PIXELS;
    for (let k = 0; k < PIXELS; k++) {
      ws();
      if (k > 0) {
        if (b[p++] !== 0x2c) return null; // ,
        ws();
      }
      const start = p;
      let m = 0;
      let digits = 0;
      let scale = 0;
      c = b[p];
      if (c === 0x30) p++;
      else if (c >= 0x31 && c <= 0x39) {
        for (; c >= 0x30 && c <= 0x39; c = b[++p]) {
          m = m * 10 + (c - 0x30);
          digits++;
        }
      } else return null; // not a number, or negative
      if (b[p] === 0x2e) {
        p++;
        const fracStart = p;
        for (c = b[p]; c >= 0x30 && c <= 0x39; c = b[++p]) {
          if (digits > 0 || c !== 0x30) digits++;
          m = m * 10 + (c - 0x30);
          scale++;
        }
        if (p === fracStart) return null;
      }
      let v: number;
      c = b[p];
      if (c === 0x65 || c === 0x45) {
        // An exponent: rare in pixels; the text goes to Number().
        p++;
        if (b[p] === 0x2b || b[p] === 0x2d) p++;
        const expStart = p;
        for (c = b[p]; c >= 0x30 && c <= 0x39; c = b[++p]);
        if (p === expStart) return null;
        v = Number(Buffer.from(b.buffer, b.byteOffset + start, p - start).toString("latin1"));
      } else {
        v = scale <= 22 ? m / POW10[scale] : Number.NaN;
        // Past 15 digits v may be a few ulps off: kept only when it surely rounds to the same
        // float32 as the exact value, else the text goes to Number().
        if (!(digits <= 15 && scale <= 22) && !(digits <= 19 && scale <= 22 && Math.fround(v * LOW) === Math.fround(v * HIGH))) {
          v = Number(Buffer.from(b.buffer, b.byteOffset + start, p - start).toString("latin1"));
        }
      }
      if (!(v <= 1)) return null;
      out[at + k] = v;
    }
    ws();
    if (b[p++] !== 0x5d) return null; // ]
    n++;
    ws();
    if (b[p] !== 0x2c) break;
    p++;
  }
  if (b[p++] !== 0x5d) return null; // ]
  ws();
  if (b[p++] !== 0x7d) return null; // }
  ws();
  if (p !== len) return null;
  return { input: out.slice(0, n * PIXELS), n };
}
