/** An answer with an HTTP status and a message for the caller (4xx for their input, 503 when
 * busy); anything else thrown becomes a 500. */
export class ServeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ServeError";
  }
}

/**
 * What the serving endpoints answer, before any transport: the Next route handlers turn it into a
 * fetch `Response`, the fast path (node-handler.ts) writes it with `res.end(body)`. One
 * implementation, so both answer byte for byte the same.
 */
export interface ServeAnswer {
  status: number;
  headers: Record<string, string>;
  /** JSON text. */
  body: string;
}

export function jsonAnswer(value: unknown, status = 200, headers: Record<string, string> = {}): ServeAnswer {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(value) };
}

export function errorAnswer(e: unknown): ServeAnswer {
  if (e instanceof ServeError) return jsonAnswer({ error: e.message }, e.status, e.headers);
  console.error("[serve]", e);
  return jsonAnswer({ error: "internal error while serving the model" }, 500);
}

export function toResponse(a: ServeAnswer): Response {
  return new Response(a.body, { status: a.status, headers: a.headers });
}

export function errorResponse(e: unknown): Response {
  return toResponse(errorAnswer(e));
}
