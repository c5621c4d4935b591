import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const dynamic = "force-dynamic";

// onnxruntime-web's WebAssembly build (the binary and the Emscripten glue it imports), for IS-Net in
// the classify page's worker (wasmPaths points here), served from the installed package so it always
// matches the JS bundled with the worker.
const FILES = new Map([
  ["ort-wasm-simd-threaded.wasm", "application/wasm"],
  ["ort-wasm-simd-threaded.mjs", "text/javascript"],
]);

function distDir(): string | null {
  // `next start` runs in apps/web (pnpm links the package there); the repo root covers other setups.
  const candidates = [join(process.cwd(), "node_modules/onnxruntime-web/dist"), join(process.cwd(), "apps/web/node_modules/onnxruntime-web/dist")];
  return candidates.find((d) => existsSync(/*turbopackIgnore: true*/ join(d, "ort-wasm-simd-threaded.wasm"))) ?? null;
}

const cache = new Map<string, Uint8Array<ArrayBuffer>>();

/** GET /classify/ort/<file>: onnxruntime-web's WebAssembly build. */
export async function GET(_req: Request, ctx: { params: Promise<{ file: string }> }) {
  const { file } = await ctx.params;
  const type = FILES.get(file);
  if (!type) return Response.json({ error: `no such file: ${file}` }, { status: 404 });
  let body = cache.get(file);
  if (!body) {
    const dir = distDir();
    if (!dir) return Response.json({ error: "onnxruntime-web is not installed next to the app" }, { status: 500 });
    body = new Uint8Array(readFileSync(join(/*turbopackIgnore: true*/ dir, file)));
    cache.set(file, body);
  }
  return new Response(body, {
    headers: { "content-type": type, "content-length": String(body.length), "cache-control": "public, max-age=86400" },
  });
}
