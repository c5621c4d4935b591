import { packageFileRoute } from "~/server/package-files";

export const dynamic = "force-dynamic";

/** GET /classify/wasm/<file>: one of the tfjs WASM backend binaries (setWasmPaths points here). The
 * threaded build needs cross-origin isolation, which this app does not enable; it is served anyway
 * for completeness. application/wasm: instantiateStreaming insists on this type. */
export const GET = packageFileRoute(
  "@tensorflow/tfjs-backend-wasm",
  new Map(["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"].map((f) => [f, "application/wasm"])),
);
