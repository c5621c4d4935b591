import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const dynamic = "force-dynamic";

// The WebAssembly binaries of @tensorflow/tfjs-backend-wasm, served from the installed package so
// they always match the JS that loads them (setWasmPaths points here). The threaded build needs
// cross-origin isolation, which this app does not enable; it is served anyway for completeness.
const FILES = new Set(["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"]);

function distDir(): string | null {
  // `next start` runs in apps/web (pnpm links the package there); the repo root covers other setups.
  const candidates = [
    join(process.cwd(), "node_modules/@tensorflow/tfjs-backend-wasm/dist"),
    join(process.cwd(), "apps/web/node_modules/@tensorflow/tfjs-backend-wasm/dist"),
  ];
  return candidates.find((d) => existsSync(/*turbopackIgnore: true*/ join(d, "tfjs-backend-wasm.wasm"))) ?? null;
}

const cache = new Map<string, Uint8Array<ArrayBuffer>>();

/** GET /classify/wasm/<file>: one of the tfjs WASM backend binaries. */
export async function GET(_req: Request, ctx: { params: Promise<{ file: string }> }) {
  const { file } = await ctx.params;
  if (!FILES.has(file)) return Response.json({ error: `no such file: ${file}` }, { status: 404 });
  let body = cache.get(file);
  if (!body) {
    const dir = distDir();
    if (!dir) return Response.json({ error: "@tensorflow/tfjs-backend-wasm is not installed next to the app" }, { status: 500 });
    // The ignore comment keeps Next's file tracer from treating this dynamic path as the whole project.
    body = new Uint8Array(readFileSync(join(/*turbopackIgnore: true*/ dir, file)));
    cache.set(file, body);
  }
  return new Response(body, {
    headers: {
      // instantiateStreaming insists on this type.
      "content-type": "application/wasm",
      "content-length": String(body.length),
      "cache-control": "public, max-age=86400",
    },
  });
}
