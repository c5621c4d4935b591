// Reading and checking what a client sent: bodies with a size limit, the TensorFlow Serving
// "instances" format, and the path that names a model version.
import { ServeError } from "./errors";
import { scanFlatInstances } from "./fast-json";
import { preparePhoto } from "./image";
import { MAX_INSTANCES, PIXELS } from "./limits";
import type { ModelRef } from "./model-store";

/** What the endpoints need of a request, whichever server received it (Next's route handler or
 * the plain Node fast path). */
export interface ServeRequest {
  /** A header's value (name in lower case). */
  header(name: string): string | undefined;
  /** The body, or null once it passes `limit` bytes (by Content-Length, or while reading it). */
  body(limit: number): Promise<Uint8Array | null>;
  /** A query parameter's value, null when absent. */
  query(name: string): string | null;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** The body, refused with 413 past `limit` bytes. */
export async function readBody(req: ServeRequest, limit: number): Promise<Uint8Array> {
  const body = await req.body(limit);
  if (body === null) throw new ServeError(413, `The body is over the ${mb(limit)} limit`);
  return body;
}

/** `fashion-classifier@production`, `fashion-classifier/versions/3`, with an optional `:verb` at
 * the end (predict, classify). */
export function parseModelPath(segments: string[]): { ref: ModelRef; verb: string | null } {
  const path = segments.map((s) => decodeURIComponent(s)).join("/");
  const m = /^([a-z0-9][a-z0-9._-]{0,63})(?:@([a-z][a-z0-9_-]{0,31})|\/versions\/([0-9]{1,7}))(?::([a-z]+))?$/.exec(path);
  if (!m) {
    throw new ServeError(
      404,
      `No such endpoint: /api/v1/models/${path}. Use /api/v1/models/<name>/versions/<n>[:predict|:classify] or /api/v1/models/<name>@<alias>[:predict|:classify] (see /api/v1/openapi.json)`,
    );
  }
  const [, name, alias, version, verb] = m;
  if (version !== undefined && Number(version) < 1) throw new ServeError(404, `Versions start at 1, not ${version}`);
  const ref: ModelRef = alias !== undefined ? { name, alias } : { name, version: Number(version) };
  return { ref, verb: verb ?? null };
}

const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? `an array of ${v.length}` : typeof v);

/** Writes one instance's 784 pixels into `out` at image `i`: 784 numbers, 28x28, 28x28x1, or
 * {"b64": "<PNG or JPEG>"} (run through the photo preprocessing). */
async function readInstance(value: unknown, i: number, out: Float32Array): Promise<void> {
  const at = i * PIXELS;
  const where = `instances[${i}]`;
  // The path in a message is built only for the error (not once per pixel).
  const put = (v: unknown, k: number, path: () => string) => {
    if (typeof v === "number" && v >= 0 && v <= 1) {
      out[at + k] = v;
      return;
    }
    if (typeof v !== "number") throw new ServeError(400, `${path()}: expected a number in [0,1], got ${typeOf(v)}`);
    throw new ServeError(400, `${path()}: ${v} is outside [0,1]${v > 1 && v <= 255 ? " (scale 0..255 pixels to [0,1]: divide by 255)" : ""}`);
  };
  if (Array.isArray(value)) {
    if (value.length === PIXELS) {
      for (let k = 0; k < PIXELS; k++) put(value[k], k, () => `${where}[${k}]`);
      return;
    }
    if (value.length === 28) {
      for (let y = 0; y < 28; y++) {
        const row = value[y];
        if (!Array.isArray(row) || row.length !== 28) throw new ServeError(400, `${where}[${y}]: expected a row of 28, got ${typeOf(row)}`);
        for (let x = 0; x < 28; x++) {
          const cell = row[x];
          // [28][28][1] (TensorFlow's NHWC with one channel) as well as [28][28].
          const v = Array.isArray(cell) && cell.length === 1 ? cell[0] : cell;
          put(v, y * 28 + x, () => `${where}[${y}][${x}]`);
        }
      }
      return;
    }
    throw new ServeError(400, `${where}: expected 784 numbers, 28x28 or 28x28x1, got an array of ${value.length}`);
  }
  if (value && typeof value === "object" && "b64" in value) {
    const b64 = (value as { b64: unknown }).b64;
    if (typeof b64 !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) throw new ServeError(400, `${where}.b64: expected a base64 string`);
    const photo = await preparePhoto(Buffer.from(b64, "base64"), `${where}.b64`);
    out.set(photo.input, at);
    return;
  }
  throw new ServeError(400, `${where}: expected 784 numbers, 28x28 numbers or {"b64": "<PNG or JPEG in base64>"}, got ${typeOf(value)}`);
}

/** A TensorFlow Serving REST predict body: {"instances": [...]} -> n images. */
export async function parseInstances(body: Uint8Array): Promise<{ input: Float32Array; n: number }> {
  // The common case, flat instances of 784 numbers, straight from the bytes; anything else (and
  // every error) through JSON.parse below.
  const flat = scanFlatInstances(body);
  if (flat) return flat;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch (e) {
    throw new ServeError(400, `The body is not valid JSON (${e instanceof Error ? e.message : String(e)}); NaN and Infinity are not JSON numbers`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new ServeError(400, 'The body must be a JSON object: {"instances": [...]}');
  const instances = (json as { instances?: unknown }).instances;
  if (instances === undefined) {
    throw new ServeError(400, `The body has no "instances"${"inputs" in json ? ' ("inputs", the columnar format, is not supported; use "instances")' : ""}`);
  }
  if (!Array.isArray(instances)) throw new ServeError(400, `"instances" must be an array, got ${typeOf(instances)}`);
  if (instances.length === 0) throw new ServeError(400, '"instances" is empty: send at least one image');
  if (instances.length > MAX_INSTANCES) throw new ServeError(413, `${instances.length} instances; the limit is ${MAX_INSTANCES} per request`);
  const input = new Float32Array(instances.length * PIXELS);
  for (let i = 0; i < instances.length; i++) await readInstance(instances[i], i, input);
  return { input, n: instances.length };
}
