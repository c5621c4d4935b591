// The /api/v1/models/<ref> endpoints: metadata, JSON predict (TensorFlow Serving's REST format) and
// the photo endpoint. Every refusal is a 4xx (or 503 when busy) with {"error": "..."}. Written once
// against ServeRequest -> ServeAnswer; the Next route (handleModelGet/Post below) and the plain Node
// fast path (node-handler.ts) are thin adapters around modelGet/modelPost.
import { createHash, timingSafeEqual } from "node:crypto";
import { readBodyWithin } from "@fmnist/api/http";
import { CLASS_NAMES_EN, CLASS_NAMES_ZH, IMAGE_SIZE } from "@fmnist/model/classes";
import { DEFAULT_SEGMENTATION, SEGMENTATIONS, type Segmentation } from "~/classify/protocol";
import { errorAnswer, jsonAnswer, type ServeAnswer, ServeError, toResponse } from "./errors";
import { photoViews } from "./image";
import { MAX_IMAGE_BYTES, MAX_JSON_BYTES } from "./limits";
import { type LoadedVersion, type ModelStore, modelStore } from "./model-store";
import { parseInstances, parseModelPath, readBody, type ServeRequest } from "./request";

/** Prediction is open unless FMNIST_SERVE_TOKEN is set; then it needs `Authorization: Bearer`. */
function checkServeToken(req: ServeRequest) {
  const token = process.env.FMNIST_SERVE_TOKEN?.trim();
  if (!token) return;
  const given = req.header("authorization")?.replace(/^Bearer\s+/i, "").trim() ?? "";
  const digest = (s: string) => createHash("sha256").update(s).digest();
  if (!given || !timingSafeEqual(digest(given), digest(token))) {
    throw new ServeError(401, "Prediction needs the serving token (FMNIST_SERVE_TOKEN) as Authorization: Bearer <token>", { "www-authenticate": "Bearer" });
  }
}

function modelInfo(l: LoadedVersion) {
  return { name: l.meta.name, version: l.meta.version, alias: l.meta.alias };
}

function topClass(probs: ArrayLike<number>) {
  let best = 0;
  for (let c = 1; c < probs.length; c++) if (probs[c] > probs[best]) best = c;
  return { index: best, en: CLASS_NAMES_EN[best], zh: CLASS_NAMES_ZH[best], probability: probs[best] };
}

export function metadataOf(l: LoadedVersion) {
  const m = l.meta;
  return {
    name: m.name,
    version: m.version,
    alias: m.alias,
    aliases: m.aliases,
    inputShape: [null, IMAGE_SIZE, IMAGE_SIZE, 1],
    inputRange: [0, 1],
    classes: CLASS_NAMES_EN.map((en, index) => ({ index, en, zh: CLASS_NAMES_ZH[index] })),
    sourceRun: m.sourceRun,
    testAccuracy: m.testAccuracy,
    sizeBytes: m.sizeBytes,
    description: m.description,
    createdAt: m.createdAt,
    backend: l.backend,
    backendNote: l.backendNote,
    params: l.params,
    /** This replica's batching so far: batches run, images predicted, requests refused (503). */
    serving: { ...l.batcher.stats, queuedImages: l.batcher.queuedImages },
    endpoints: {
      predict: `/api/v1/models/${m.name}${m.alias ? `@${m.alias}` : `/versions/${m.version}`}:predict`,
      classify: `/api/v1/models/${m.name}${m.alias ? `@${m.alias}` : `/versions/${m.version}`}:classify`,
    },
  };
}

async function predict(l: LoadedVersion, input: Float32Array, n: number): Promise<number[][]> {
  const out = await l.batcher.submit(input, n);
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(10);
    for (let c = 0; c < 10; c++) row[c] = out[i * 10 + c];
    rows[i] = row;
  }
  return rows;
}

/** The photo from the body: raw bytes (image/*, application/octet-stream) or the first file of a
 * multipart form. */
async function photoBytes(req: ServeRequest): Promise<{ bytes: Uint8Array; name: string }> {
  const type = req.header("content-type") ?? "";
  if (/^multipart\/form-data/i.test(type)) {
    const raw = await readBody(req, MAX_IMAGE_BYTES + 64 * 1024);
    let form: FormData;
    try {
      form = await new Response(raw as Uint8Array<ArrayBuffer>, { headers: { "content-type": type } }).formData();
    } catch {
      throw new ServeError(400, "The multipart body could not be read");
    }
    const file = [...form.values()].find((v): v is File => typeof v !== "string");
    if (!file) throw new ServeError(400, "The multipart form has no file: send the photo as a file field (e.g. -F image=@photo.jpg)");
    return { bytes: new Uint8Array(await file.arrayBuffer()), name: `"${file.name || "the file"}"` };
  }
  if (/^application\/json/i.test(type)) throw new ServeError(415, "This endpoint takes the photo's bytes (or multipart); JSON goes to :predict");
  return { bytes: await readBody(req, MAX_IMAGE_BYTES), name: "the image" };
}

/** GET .../<ref>: the version's metadata (loading it, so that this is a real readiness check). */
export async function modelGet(segments: string[], store: ModelStore = modelStore()): Promise<ServeAnswer> {
  try {
    const { ref, verb } = parseModelPath(segments);
    if (verb !== null && verb !== "metadata") throw new ServeError(405, `:${verb} takes POST`, { allow: "POST" });
    const l = await store.get(ref);
    return jsonAnswer(metadataOf(l), 200, { "cache-control": "no-store" });
  } catch (e) {
    return errorAnswer(e);
  }
}

/** POST .../<ref>:predict (JSON instances) or .../<ref>:classify (a photo). */
export async function modelPost(req: ServeRequest, segments: string[], store: ModelStore = modelStore()): Promise<ServeAnswer> {
  try {
    const { ref, verb } = parseModelPath(segments);
    if (verb === "predict") {
      checkServeToken(req);
      const body = await readBody(req, MAX_JSON_BYTES);
      const { input, n } = await parseInstances(body);
      const l = await store.get(ref);
      const predictions = await predict(l, input, n);
      return jsonAnswer({ model: modelInfo(l), predictions, classes: predictions.map(topClass) });
    }
    if (verb === "classify") {
      checkServeToken(req);
      const segmentation = segmentationOf(req.query("segment"));
      const { bytes, name } = await photoBytes(req);
      const { views, note } = await photoViews(bytes, name, segmentation);
      const l = await store.get(ref);
      const input = new Float32Array(views.length * IMAGE_SIZE * IMAGE_SIZE);
      views.forEach((v, k) => {
        input.set(v.input, k * IMAGE_SIZE * IMAGE_SIZE);
      });
      const predicted = await predict(l, input, views.length);
      // "both": the views' probabilities averaged.
      const probabilities = predicted[0].map((_, c) => predicted.reduce((sum, p) => sum + p[c], 0) / predicted.length);
      const [photo] = views;
      return jsonAnswer({
        model: modelInfo(l),
        class: topClass(probabilities),
        probabilities,
        preprocessing: {
          width: photo.width,
          height: photo.height,
          format: photo.format,
          // What was used: a 28x28 picture is taken as it is, without IS-Net.
          segmentation: views.length > 1 ? "both" : photo.segmentation,
          inverted: photo.inverted,
          box: photo.box,
          downscaled: photo.downscaled,
          views: views.map((v, k) => ({ segmentation: v.segmentation, box: v.box, inverted: v.inverted, probabilities: predicted[k] })),
          ...(note ? { note } : {}),
        },
      });
    }
    throw new ServeError(verb === null || verb === "metadata" ? 405 : 404, verb === null || verb === "metadata" ? "Metadata takes GET; POST to :predict or :classify" : `Unknown method :${verb}; use :predict or :classify`, verb === null ? { allow: "GET" } : {});
  } catch (e) {
    return errorAnswer(e);
  }
}

/** A fetch Request as the endpoints see it (the Next route handlers, the tests). */
export function fetchServeRequest(req: Request): ServeRequest {
  return {
    header: (name) => req.headers.get(name) ?? undefined,
    body: async (limit) => {
      const body = await readBodyWithin(req, limit);
      return body instanceof Response ? null : body;
    },
    query: (name) => new URL(req.url).searchParams.get(name),
  };
}

/** ?segment= of :classify: how the item is found, as on the classify page (its default too). */
function segmentationOf(value: string | null): Segmentation {
  if (value === null) return DEFAULT_SEGMENTATION;
  if (!SEGMENTATIONS.includes(value as Segmentation)) throw new ServeError(400, `?segment must be one of ${SEGMENTATIONS.join(", ")}, not "${value}"`);
  return value as Segmentation;
}

/** The fetch adapters, used by the Next route (app/api/v1/models/[...path]/route.ts). */
export async function handleModelGet(segments: string[], store: ModelStore = modelStore()): Promise<Response> {
  return toResponse(await modelGet(segments, store));
}

export async function handleModelPost(req: Request, segments: string[], store: ModelStore = modelStore()): Promise<Response> {
  return toResponse(await modelPost(fetchServeRequest(req), segments, store));
}
