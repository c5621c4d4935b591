// The prediction API's fast path: /api/v1/models/<ref>[:verb] answered straight from Node's HTTP
// server (instrumentation.ts routes it here before Next.js sees the request), skipping Next's router,
// proxy and app-router handler and the fetch Request/Response objects they build, which cost most of
// a single-image request's time (see README, "Serving"). The endpoints themselves are the same code
// as the Next route's (modelGet/modelPost in handlers.ts); this file only does what Next and
// proxy.ts did around them: the URL and method checks, reading the body, writing the answer.
import type { IncomingMessage, ServerResponse } from "node:http";
import { jsonAnswer, type ServeAnswer } from "./errors";
import { modelGet, modelPost } from "./handlers";
import { type ModelStore, modelStore } from "./model-store";
import type { ServeRequest } from "./request";

export const FAST_PREFIX = "/api/v1/models/";
/** As proxy.ts's ALLOWED entry for /api/v1/models/. */
const ALLOWED = ["GET", "POST", "HEAD"];

function decodes(s: string): boolean {
  try {
    decodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

/** The request body up to `limit` bytes; null past it (then the connection is closed after the
 * answer: the rest of the body is not read). */
function readNodeBody(req: IncomingMessage, limit: number, overLimit: () => void): Promise<Uint8Array | null> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > limit)) {
    overLimit();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.off("end", onEnd);
        chunks.length = 0;
        overLimit();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", reject);
  });
}

function send(res: ServerResponse, a: ServeAnswer, withBody: boolean, close: boolean) {
  const headers: Record<string, string | number> = { ...a.headers, "content-length": Buffer.byteLength(a.body) };
  if (close) headers.connection = "close";
  res.writeHead(a.status, headers);
  res.end(withBody ? a.body : undefined);
}

/** Answers one /api/v1/models/... request. */
export async function serveModelsNode(req: IncomingMessage, res: ServerResponse, store: ModelStore = modelStore()): Promise<void> {
  const url = req.url ?? "";
  const q = url.indexOf("?");
  const pathname = q < 0 ? url : url.slice(0, q);
  const method = req.method ?? "GET";
  let close = false;
  let answer: ServeAnswer;
  try {
    if (!decodes(pathname) || (q >= 0 && !decodes(url.slice(q)))) answer = jsonAnswer({ error: "malformed URL: invalid percent-encoding" }, 400);
    else if (!ALLOWED.includes(method)) answer = jsonAnswer({ error: `method ${method} is not allowed here` }, 405, { allow: ALLOWED.join(", ") });
    else {
      const segments = pathname.slice(FAST_PREFIX.length).split("/");
      if (method === "POST") {
        const sreq: ServeRequest = {
          header: (name) => {
            const v = req.headers[name];
            return Array.isArray(v) ? v.join(", ") : v;
          },
          body: (limit) => readNodeBody(req, limit, () => (close = true)),
          query: (name) => (q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get(name)),
        };
        answer = await modelPost(sreq, segments, store);
      } else answer = await modelGet(segments, store);
    }
  } catch (e) {
    // modelGet/modelPost answer their own errors; this is a failure reading the socket, most often
    // a client that went away mid-body (nothing to answer, nothing to log).
    if (req.destroyed || res.destroyed) return;
    console.error("[serve]", e);
    answer = jsonAnswer({ error: "internal error while serving the model" }, 500);
  }
  if (!res.headersSent && !res.destroyed) send(res, answer, method !== "HEAD", close);
}

/** Whether a request is the fast path's: a model path (not the list at /api/v1/models, nor a path
 * with a trailing slash, which Next redirects), in origin form. */
export function isFastPathRequest(url: string | undefined): boolean {
  if (!url?.startsWith(FAST_PREFIX)) return false;
  const q = url.indexOf("?");
  const end = q < 0 ? url.length : q;
  return end > FAST_PREFIX.length && url.charCodeAt(end - 1) !== 47; // "/"
}
