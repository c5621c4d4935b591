import { packageFileRoute } from "~/server/package-files";

export const dynamic = "force-dynamic";

/** GET /classify/ort/<file>: onnxruntime-web's WebAssembly build (the binary and the Emscripten glue
 * it imports), for IS-Net in the classify page's worker (wasmPaths points here). */
export const GET = packageFileRoute(
  "onnxruntime-web",
  new Map([
    ["ort-wasm-simd-threaded.wasm", "application/wasm"],
    ["ort-wasm-simd-threaded.mjs", "text/javascript"],
  ]),
);
