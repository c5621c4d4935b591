import { type IncomingMessage, Server, type ServerResponse } from "node:http";

/**
 * What the Node HTTP server answers before Next.js sees a request, by wrapping its "request" event
 * (instrumentation.ts installs it once per server process):
 * - TRACE and TRACK, "forbidden methods" of the Fetch standard: Next.js builds a `Request` for the
 *   proxy and route handlers, undici's constructor throws on them, and Next answers 500 before any
 *   of our code (proxy.ts included) can run. They get a 405 here. (CONNECT never reaches "request":
 *   Node emits "connect", which Next does not handle.)
 * - Fast routes: a path prefix served by a plain Node (req, res) handler, for endpoints where Next's
 *   per-request work (routing, proxy, app-router handler, fetch objects) is most of the cost (the
 *   prediction API, serving/node-handler.ts). Such a handler must do proxy.ts's checks itself.
 */
const FORBIDDEN = new Set(["TRACE", "TRACK"]);
const PATCHED = Symbol.for("fmnist.forbiddenMethods");

type FastRoute = { matches(url: string | undefined): boolean; handle(req: IncomingMessage, res: ServerResponse): unknown };
// On globalThis: one list per process whichever bundle installs it; a re-run (next dev) replaces.
const g = globalThis as { __fmnistFastRoutes?: Map<string, FastRoute> };
g.__fmnistFastRoutes ??= new Map();
const fastRoutes = g.__fmnistFastRoutes;

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
      for (const route of fastRoutes.values()) {
        if (route.matches(req.url)) {
          void route.handle(req, res);
          return true;
        }
      }
    }
    return (emit as (this: Server, event: string | symbol, ...rest: unknown[]) => boolean).call(this, event, ...args);
  } as typeof proto.emit;
}

/** Serves the requests `route.matches` from Node's server directly, before Next (keyed by `name`). */
export function serveBeforeNext(name: string, route: FastRoute): void {
  refuseForbiddenMethods();
  fastRoutes.set(name, route);
}
