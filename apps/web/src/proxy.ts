import { type NextRequest, NextResponse } from "next/server";

/**
 * The network boundary (Next 16's proxy, formerly middleware): requests Next.js itself would answer
 * with a 500 before our route code runs are refused here with the right 4xx.
 * - A path whose percent-encoding does not decode (`/runs/%E0%A4%A`): 400, not a decoding crash.
 * - A method the route does not take (TRACE, PUT on a page, ...): 405 with an Allow header.
 * Kept to string checks: it runs on every request, the polled tRPC ones included.
 */
const ALLOWED: [prefix: string, methods: string[]][] = [
  ["/api/trpc/", ["GET", "POST", "HEAD"]],
  // Keras model uploads; the prediction API (metadata GET, :predict and :classify POST).
  ["/api/imports", ["POST"]],
  ["/api/v1/models/", ["GET", "POST", "HEAD"]],
  ["/api/", ["GET", "HEAD"]],
  ["/classify/wasm/", ["GET", "HEAD"]],
  // Sweeps: list, new-sweep form, a sweep's page (mutations go through /api/trpc/).
  ["/sweeps", ["GET", "HEAD"]],
  // Pages, icons, Next's own assets.
  ["/", ["GET", "HEAD"]],
];

const problem = (status: number, message: string, headers?: Record<string, string>) =>
  NextResponse.json({ error: message }, { status, headers });

function decodes(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

export function proxy(req: NextRequest) {
  const { pathname } = req.nextUrl;
  if (!decodes(pathname) || !decodes(req.nextUrl.search)) return problem(400, "malformed URL: invalid percent-encoding");
  const allowed = ALLOWED.find(([prefix]) => pathname.startsWith(prefix) || `${pathname}/` === prefix)?.[1] ?? ["GET", "HEAD"];
  if (!allowed.includes(req.method)) {
    return problem(405, `method ${req.method} is not allowed here`, { allow: allowed.join(", ") });
  }
  return NextResponse.next();
}

export const config = {
  // Next's hashed static files never need the checks, nor do tRPC paths made only of procedure
  // names (nothing to mis-decode; Next's route answers other methods with 405): the polled hot
  // path skips the proxy.
  matcher: ["/((?!_next/static|_next/image|api/trpc/[A-Za-z0-9.,]+$).*)"],
};
