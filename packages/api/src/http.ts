/**
 * The tRPC endpoint over HTTP (fetch Request in, Response out), with the limits a public endpoint
 * needs: a bounded batch, a bounded body refused before it is read whole. Here rather than in the
 * web app so the API tests exercise the same handler the server runs.
 */
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

export async function handleTRPCRequest(req: Request, opts: HandlerOptions = {}): Promise<Response> {
  let request = req;
  if (req.method !== "GET" && req.method !== "HEAD") {
    const body = await readBodyWithin(req, MAX_BODY_BYTES);
    if (body instanceof Response) return body;
    request = new Request(req.url, { method: req.method, headers: req.headers, body: body as BodyInit });
  }
  return fetchRequestHandler({
    endpoint: opts.endpoint ?? "/api/trpc",
    router: appRouter,
    req: request,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: () => createTRPCContext({ headers: req.headers, db: opts.db, dialect: opts.dialect }),
    // Unexpected errors are logged with their request id by the error formatter (trpc.ts).
  });
}
