/**
 * The tRPC endpoint over HTTP (fetch Request in, Response out), with the limits a public endpoint
 * needs: a bounded batch, a bounded body refused before it is read whole. Here rather than in the
 * web app so the API tests exercise the same handler the server runs.
 */
import { createHash } from "node:crypto";
import { db as sharedDb } from "@fmnist/db/client";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { MAX_BATCH_SIZE } from "./limits";
import { appRouter } from "./root";
import { type CreateContextOptions, createTRPCContext } from "./trpc";

export { MAX_BATCH_SIZE };
/** Bytes of a mutation's body: a run's config is under 1 KB; 64 KB leaves room, not abuse. */
export const MAX_BODY_BYTES = 64 * 1024;

const problem = (status: number, message: string) => Response.json({ error: { message, code: status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST" } }, { status });

/**
 * The body, or a 413 Response once it passes `limit`: a declared Content-Length over the limit is
 * refused before reading a byte; a chunked body is read only up to the limit.
 */
export async function readBodyWithin(req: Request, limit: number): Promise<Uint8Array | Response> {
  const tooLarge = () => problem(413, `request body over the ${limit} byte limit`);
  const declared = req.headers.get("content-length");
  if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > limit)) return tooLarge();
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    body.set(c, offset);
    offset += c.byteLength;
  }
  return body;
}

export interface HandlerOptions extends Omit<CreateContextOptions, "headers"> {
  /** Where the router is mounted. */
  endpoint?: string;
}

/**
 * Reads whose answer is the same for every caller (they look at no header). Many open dashboards
 * poll the same few URLs every 2 s; answering them from one computation per READ_TTL_MS is what
 * keeps the server fast under that load (apps/web/bench/load-bench.ts).
 */
const SHARED_READS = new Set(["runs.list", "runs.byId", "runs.facets", "runs.misclassified", "runs.compare"]);
/** How stale a shared read may be for changes made by other processes (workers write progress
 * about once a second). Mutations through this server invalidate at once. FMNIST_READ_TTL_MS=0
 * turns sharing off (to measure without it). */
export const READ_TTL_MS = readTtl(process.env.FMNIST_READ_TTL_MS);

function readTtl(value: string | undefined): number {
  const n = Number(value ?? 1000);
  return Number.isFinite(n) && n >= 0 ? n : 1000;
}
const MAX_ENTRIES = 1000;

interface Answer {
  status: number;
  headers: [string, string][];
  body: Uint8Array<ArrayBuffer>;
  etag: string;
}
interface Entry {
  expires: number;
  answer: Promise<Answer>;
}
/** Per database (tests and the bench use several), URL -> answer. */
const caches = new WeakMap<object, Map<string, Entry>>();

function sharedReadKey(req: Request, endpoint: string): string | null {
  if (req.method !== "GET") return null;
  const url = new URL(req.url);
  // Procedure names are plain ASCII: anything encoded is not one of ours and is not cached.
  const paths = url.pathname.slice(endpoint.length + 1).split(",");
  return paths.every((p) => SHARED_READS.has(p)) ? `${url.pathname}${url.search}` : null;
}

async function toAnswer(res: Response): Promise<Answer> {
  const body = new Uint8Array(await res.arrayBuffer());
  const etag = `"${createHash("sha1").update(body).digest("base64url")}"`;
  return { status: res.status, headers: [...res.headers], body, etag };
}

function respond(req: Request, a: Answer): Response {
  const headers = new Headers(a.headers);
  headers.set("etag", a.etag);
  // Browsers revalidate (If-None-Match) instead of fetching the whole list again: 304, no body.
  headers.set("cache-control", "no-cache");
  if (a.status === 200 && req.headers.get("if-none-match") === a.etag) return new Response(null, { status: 304, headers });
  return new Response(a.body, { status: a.status, headers });
}

export async function handleTRPCRequest(req: Request, opts: HandlerOptions = {}): Promise<Response> {
  const endpoint = opts.endpoint ?? "/api/trpc";
  const cache = cacheFor(opts.db ?? sharedDb());
  const key = READ_TTL_MS > 0 ? sharedReadKey(req, endpoint) : null;
  if (key) {
    const now = Date.now();
    let entry = cache.get(key);
    if (!entry || entry.expires <= now) {
      // Concurrent identical reads share this one computation.
      const answer = runHandler(req, opts, endpoint).then(toAnswer);
      entry = { expires: now + READ_TTL_MS, answer };
      const e = entry;
      // Only successful answers are kept; an error is recomputed by the next caller.
      answer.then((a) => a.status !== 200 && cache.get(key) === e && cache.delete(key)).catch(() => cache.delete(key));
      cache.delete(key);
      cache.set(key, entry);
      if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    }
    return respond(req, await entry.answer);
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    const body = await readBodyWithin(req, MAX_BODY_BYTES);
    if (body instanceof Response) return body;
    const res = await runHandler(new Request(req.url, { method: req.method, headers: req.headers, body: body as BodyInit }), opts, endpoint);
    // A mutation (or an attempt) through this server: nothing shared may be stale after it.
    cache.clear();
    return res;
  }
  return runHandler(req, opts, endpoint);
}

function cacheFor(db: object): Map<string, Entry> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  return cache;
}

function runHandler(request: Request, opts: HandlerOptions, endpoint: string): Promise<Response> {
  return fetchRequestHandler({
    endpoint,
    router: appRouter,
    req: request,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: () => createTRPCContext({ headers: request.headers, db: opts.db, dialect: opts.dialect }),
    // Unexpected errors are logged with their request id by the error formatter (trpc.ts).
  });
}
