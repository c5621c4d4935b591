// tfjs backend choice and model-file fetching shared by the browser workers (classify, embedding).
import * as tf from "@tensorflow/tfjs";
import { BACKENDS, type Backend, ClassifyError } from "./protocol";

let wasmPathSet = false;

export const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Which software rasterizer the GL renderer is, if it is one (SwiftShader, llvmpipe, ...): WebGL
 * there emulates the GPU on the CPU and runs these models ~20x slower than the WASM backend. */
function softwareRenderer(): string | null {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext("webgl2") ?? new OffscreenCanvas(1, 1).getContext("webgl");
    if (!gl) return null;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? "");
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software|basic render/i.exec(renderer)?.[0] ?? null;
  } catch {
    return null;
  }
}

/** The first backend in `order` that initialises. Automatic choice skips WebGL on a software
 * rasterizer (slower than WASM); WebGL is used only where it renders float32 (float16 textures
 * would change predictions, and the whole-test-set check must match the trainer). */
export async function chooseBackend(preferred: Backend | null, wasmPath: string): Promise<{ backend: Backend; notes: string[] }> {
  const order = preferred ? [preferred, ...BACKENDS.filter((b) => b !== preferred)] : [...BACKENDS];
  const notes: string[] = [];
  for (const name of order) {
    try {
      if (name === "webgl" && typeof OffscreenCanvas === "undefined") {
        notes.push("webgl: no OffscreenCanvas in this browser's workers");
        continue;
      }
      if (name === "webgl" && !preferred) {
        const software = softwareRenderer();
        if (software) {
          notes.push(`webgl: software renderer (${software}), slower than wasm`);
          continue;
        }
      }
      if (name === "wasm" && !wasmPathSet) {
        const wasm = await import("@tensorflow/tfjs-backend-wasm");
        wasm.setWasmPaths(wasmPath);
        wasmPathSet = true;
      }
      if (!(await tf.setBackend(name))) {
        notes.push(`${name}: did not initialise`);
        continue;
      }
      await tf.ready();
      if (name === "webgl") {
        if (!tf.env().getBool("WEBGL_RENDER_FLOAT32_CAPABLE")) {
          notes.push("webgl: renders float16 only, which changes results");
          continue;
        }
        // One shader per op instead of one per op and input shape: fewer compiles across batch sizes.
        tf.env().set("WEBGL_USE_SHAPES_UNIFORMS", true);
      }
      return { backend: name, notes };
    } catch (e) {
      notes.push(`${name}: ${message(e)}`);
    }
  }
  throw new ClassifyError("model", `No tfjs backend works in this browser (${notes.join("; ")})`);
}

/** fetch for the model files that fails on an HTTP error: tfjs reads a missing weights file's
 * error page as weights and reports "byte length of Float32Array should be a multiple of 4". */
export async function checkedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const res = await fetch(input, init);
  if (!res.ok) {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const file = new URL(url, self.location.href).pathname.split("/").pop();
    const body = (await res.json().catch(() => null)) as { error?: string } | null;
    throw new Error(`${file} answered HTTP ${res.status}${body?.error ? ` (${body.error})` : ""}`);
  }
  return res;
}

