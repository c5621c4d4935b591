// The fastest tfjs backend this server process can run: the oneDNN addon of @fmnist/backends
// where it was built, else wasm (XNNPACK, SIMD), else the pure-JS cpu backend.
// FMNIST_SERVE_BACKEND=native|wasm|cpu forces one.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";

export interface ServingBackend {
  name: string;
  note: string;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];

/** The addon file, found from the working directory (apps/web under `next start`, the repo root in
 * scripts): the bundled copy of @fmnist/backends cannot locate it from its own URL. */
function findAddon(): string | null {
  let dir = process.cwd();
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "packages", "backends", "build", "Release", "native_cpu.node");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

/**
 * OpenMP threads for serving: 1 by default (FMNIST_SERVE_NATIVE_THREADS overrides). The thread that
 * answers HTTP needs a core of its own, and OpenMP threads that share a core with it stall at every
 * barrier: measured here (2 cores, busy), reference-cnn in batches of 32 ran at ~2,900 images/s
 * on one thread and ~470 on two.
 */
function servingThreads(): number {
  const n = Number(process.env.FMNIST_SERVE_NATIVE_THREADS);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

async function tryNative(): Promise<string> {
  if (!process.env.FMNIST_NATIVE_CPU_ADDON) {
    const found = findAddon();
    if (!found) throw new Error("the @fmnist/backends addon is not built (packages/backends/build/Release/native_cpu.node)");
    process.env.FMNIST_NATIVE_CPU_ADDON = resolve(found);
  }
  const { registerNativeBackend } = await import("@fmnist/backends/native");
  const r = await registerNativeBackend({ threads: servingThreads() });
  if (!r.ok) throw new Error(r.reason);
  if (!(await tf.setBackend("native"))) throw new Error("the native backend did not start");
  return `native (oneDNN addon): ${r.info}`;
}

async function tryWasm(): Promise<string> {
  await import("@tensorflow/tfjs-backend-wasm");
  if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend did not start");
  return `wasm (XNNPACK, SIMD ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "on" : "off"})`;
}

async function tryCpu(): Promise<string> {
  if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend did not start");
  return "cpu (pure JS, slow)";
}

const ATTEMPTS: Record<string, () => Promise<string>> = { native: tryNative, wasm: tryWasm, cpu: tryCpu };

let chosen: Promise<ServingBackend> | null = null;

/** Picks and activates the backend once per process. */
export function servingBackend(): Promise<ServingBackend> {
  chosen ??= (async () => {
    const forced = process.env.FMNIST_SERVE_BACKEND?.trim();
    const order = forced ? [forced] : ["native", "wasm", "cpu"];
    const skipped: string[] = [];
    for (const name of order) {
      const attempt = ATTEMPTS[name];
      if (!attempt) throw new Error(`FMNIST_SERVE_BACKEND="${forced}" is not one of native, wasm, cpu`);
      try {
        const note = await attempt();
        await tf.ready();
        return { name: tf.getBackend(), note: skipped.length ? `${note}; not chosen: ${skipped.join("; ")}` : note };
      } catch (e) {
        skipped.push(`${name}: ${message(e)}`);
      }
    }
    throw new Error(`no tfjs backend could be started: ${skipped.join("; ")}`);
  })();
  return chosen;
}
