import { type IncomingMessage, Server, type ServerResponse } from "node:http";

/**
 * TRACE and TRACK are "forbidden methods" of the Fetch standard: Next.js builds a `Request` for the
 * proxy and route handlers, undici's constructor throws on them, and Next answers 500 before any of
 * our code (proxy.ts included) can run. The only place to answer them is the Node HTTP server
 * itself, so this wraps its "request" event: those methods get a 405 before Next sees them.
 * (CONNECT never reaches "request": Node emits "connect", which Next does not handle.)
 */
const FORBIDDEN = new Set(["TRACE", "TRACK"]);
const PATCHED = Symbol.for("fmnist.forbiddenMethods");

export function refuseForbiddenMethods(): void {
  const proto = Server.prototype as Server & { [PATCHED]?: boolean };
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const emit = proto.emit;
  proto.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const [req, res] = args as [IncomingMessage, ServerResponse];
      if (FORBIDDEN.has(req.method ?? "")) {
        const body = JSON.stringify({ error: `method ${req.method} is not allowed` });
        res.writeHead(405, { allow: "GET, HEAD, POST", "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
        return true;
      }
    }
    return (emit as (this: Server, event: string | symbol, ...rest: unknown[]) => boolean).call(this, event, ...args);
  } as typeof proto.emit;
}
