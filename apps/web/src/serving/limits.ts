// The serving API's stated limits (also in the OpenAPI document). Environment variables override
// the batching and queue settings; the input limits are part of the API contract.

import { IMAGE_PIXELS } from "@fmnist/data/image";

function envInt(name: string, fallback: number, min: number, max: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v >= min && v <= max ? v : fallback;
}

/** Images in one JSON predict request. */
export const MAX_INSTANCES = 512;
/** A JSON predict body: 512 images of 784 numbers written with ~12 characters each is ~4.8 MB. */
export const MAX_JSON_BYTES = 8 * 1024 * 1024;
/** A photo sent to the image endpoint (raw bytes or one multipart file). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Decoded size of a photo, as on the classify page: 50 megapixels. */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** As on the classify page, photos are decoded at most this many pixels on their long side. */
export const MAX_IMAGE_SIDE = 1024;
export const PIXELS = IMAGE_PIXELS;

export interface BatchingConfig {
  /** How long the first request of a batch waits for others (ms); 0 (the default): no wait, a
   * batch starts when the inference thread is free, with every request read by then. */
  windowMs: number;
  /** Images predicted as one batch at most (a larger single request runs alone). */
  maxBatch: number;
  /** Images waiting per model before new requests get 503 + Retry-After. */
  maxQueue: number;
}

export function batchingConfig(): BatchingConfig {
  return {
    windowMs: envInt("FMNIST_SERVE_BATCH_WINDOW_MS", 0, 0, 1000),
    maxBatch: envInt("FMNIST_SERVE_MAX_BATCH", 256, 1, 4096),
    maxQueue: envInt("FMNIST_SERVE_MAX_QUEUE", 4096, 1, 1_000_000),
  };
}

/** How long a resolved name@alias is trusted before asking the database again (other replicas'
 * alias moves show up within this time; this process's own moves at once). */
export function resolveTtlMs(): number {
  return envInt("FMNIST_SERVE_RESOLVE_TTL_MS", 1000, 0, 3_600_000);
}

/** Loaded model versions kept in memory; the least recently used beyond this are disposed. */
export function maxLoadedModels(): number {
  return envInt("FMNIST_SERVE_MAX_MODELS", 4, 1, 64);
}
