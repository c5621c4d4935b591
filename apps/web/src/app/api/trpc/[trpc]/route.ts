import { handleTRPCRequest } from "@fmnist/api/http";

// Reads the database on every request.
export const dynamic = "force-dynamic";

// Batch and body limits, error hygiene: packages/api/src/http.ts.
const handler = (req: Request) => handleTRPCRequest(req);

// Next answers unexported methods with a bare 405; this one says what is allowed (RFC 9110).
const notAllowed = (req: Request) =>
  Response.json({ error: `method ${req.method} is not allowed here` }, { status: 405, headers: { allow: "GET, HEAD, POST" } });

export { handler as GET, handler as POST, notAllowed as PUT, notAllowed as DELETE, notAllowed as PATCH };
