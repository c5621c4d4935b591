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

export function errorResponse(e: unknown): Response {
  if (e instanceof ServeError) return Response.json({ error: e.message }, { status: e.status, headers: e.headers });
  console.error("[serve]", e);
  return Response.json({ error: "internal error while serving the model" }, { status: 500 });
}
