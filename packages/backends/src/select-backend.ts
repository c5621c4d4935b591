/**
 * Picks the tfjs backend for training.
 *
 * 'auto' tries, in order: @tensorflow/tfjs-node-gpu (TensorFlow C library with CUDA),
 * @tensorflow/tfjs-node (TensorFlow C library on CPU), native (./native: the oneDNN addon), wasm (XNNPACK, with the training kernels of
 * ./wasm-gradients), cpu (pure JS, very slow for convolutions). An explicit preference that cannot
 * be loaded throws an error that says how to install it. The returned note says why the backend was
 * chosen and why the ones before it were not.
 */
import type { BackendPreference } from "@fmnist/model/train-config";
import * as tf from "@tensorflow/tfjs";
import { registerWasmGradientKernels } from "./wasm/wasm-gradients";

export type { BackendPreference };

export interface SelectedBackend {
  /** The tfjs backend now active: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** Why this backend, and why not the ones tried before it. */
  note: string;
  /** Where the math runs: 'gpu' only when TensorFlow really sees a CUDA device. */
  device: "gpu" | "cpu";
}

/** Loads an optional package; injectable for tests. */
export type ModuleImporter = (name: string) => Promise<unknown>;

export interface SelectBackendOptions {
  importModule?: ModuleImporter;
}

// The names are built at run time so bundlers (Next.js, Vite, esbuild) neither try to resolve nor
// bundle the optional native packages.
const SCOPE = "@tensorflow";
const NODE_GPU = [SCOPE, "tfjs-node-gpu"].join("/");
const NODE_CPU = [SCOPE, "tfjs-node"].join("/");

const INSTALL = {
  gpu:
    `pnpm --filter @fmnist/trainer add ${NODE_GPU}@${tf.version.tfjs} ` +
    "(Linux x64 only; needs CUDA 11.2 + cuDNN 8.1 — on CUDA 12 it silently runs on the CPU, tensorflow/tfjs#8362)",
  cpu: `pnpm --filter @fmnist/trainer add ${NODE_CPU}@${tf.version.tfjs} (downloads the TensorFlow C library at install time)`,
} as const;

/** The native backend lives in this package; it is loaded through the importer too, so tests can
 * stand in for a machine where its addon did not build. */
export const NATIVE_MODULE = "@fmnist/backends/native";

const defaultImporter: ModuleImporter = (name) =>
  name === NATIVE_MODULE ? import("./native/index") : import(/* @vite-ignore */ /* webpackIgnore: true */ name);

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0].slice(0, 240);
}

function isNotInstalled(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  const msg = e instanceof Error ? e.message : String(e);
  return (
    code === "ERR_MODULE_NOT_FOUND" ||
    code === "MODULE_NOT_FOUND" ||
    /Cannot find (package|module)|Failed to (resolve|load url)/i.test(msg)
  );
}

interface NodeBackendLike {
  isUsingGpuDevice?: boolean;
  isGPUPackage?: boolean;
}

type Attempt = { ok: true; result: SelectedBackend } | { ok: false; reason: string };

/** Loads a tfjs-node package and activates its 'tensorflow' backend. */
async function tryTensorflow(pkg: string, importModule: ModuleImporter, install: string): Promise<Attempt> {
  const short = pkg.replace(`${SCOPE}/`, "");
  try {
    await importModule(pkg);
  } catch (e) {
    return {
      ok: false,
      reason: isNotInstalled(e)
        ? `${short} not installed: ${install}`
        : `${short} is installed but failed to load (${firstLine(e)}); reinstall it or fix its native libraries: ${install}`,
    };
  }
  if (!tf.findBackendFactory("tensorflow")) {
    return {
      ok: false,
      reason:
        `${short} loaded but registered no 'tensorflow' backend with this copy of @tensorflow/tfjs ` +
        `(${tf.version.tfjs}); install the same version: ${install}`,
    };
  }
  let ok = false;
  try {
    ok = await tf.setBackend("tensorflow");
  } catch (e) {
    return { ok: false, reason: `${short} loaded but its backend failed to start (${firstLine(e)})` };
  }
  if (!ok) return { ok: false, reason: `${short} loaded but its backend failed to start (see the log above)` };
  await tf.ready();
  const b = tf.backend() as unknown as NodeBackendLike;
  const gpu = b.isUsingGpuDevice === true;
  let note: string;
  if (gpu) {
    note = `${short}: TensorFlow is using a CUDA GPU`;
  } else if (pkg === NODE_GPU) {
    note =
      `${short} loaded but TensorFlow sees no GPU, so it runs on the CPU: it needs CUDA 11.2 + cuDNN 8.1 ` +
      "and silently falls back to the CPU on CUDA 12 (tensorflow/tfjs#8362), or no GPU is visible to this process";
  } else {
    note = `${short}: TensorFlow C library on the CPU`;
  }
  return { ok: true, result: { backend: "tensorflow", note, device: gpu ? "gpu" : "cpu" } };
}

async function tryWasm(): Promise<Attempt> {
  registerWasmGradientKernels();
  let ok = false;
  try {
    ok = await tf.setBackend("wasm");
  } catch (e) {
    return { ok: false, reason: `wasm backend failed to start (${firstLine(e)})` };
  }
  if (!ok) return { ok: false, reason: "wasm backend failed to start (see the log above)" };
  await tf.ready();
  const env = tf.env();
  const simd = env.getBool("WASM_HAS_SIMD_SUPPORT");
  const threads = env.getBool("WASM_HAS_MULTITHREAD_SUPPORT");
  return {
    ok: true,
    result: {
      backend: "wasm",
      note:
        `wasm (XNNPACK, SIMD ${simd ? "on" : "off"}, ${threads ? "multi-threaded" : "single-threaded"}) ` +
        "with the training kernels of wasm-gradients (Conv2D gradients, MaxPoolGrad, fast transposed MatMul)",
      device: "cpu",
    },
  };
}

/** The optional oneDNN addon of ./native (issue 7): the fastest CPU path where it built
 * (a full reference run on it: 91.97% test accuracy, reloaded on wasm with an identical result). */
async function tryNative(importModule: ModuleImporter): Promise<Attempt> {
  let mod: { registerNativeBackend(): Promise<{ ok: true; info: string } | { ok: false; reason: string }> };
  try {
    mod = (await importModule(NATIVE_MODULE)) as typeof mod;
  } catch (e) {
    return { ok: false, reason: `${NATIVE_MODULE} failed to load (${firstLine(e)})` };
  }
  const r = await mod.registerNativeBackend();
  if (!r.ok) return { ok: false, reason: r.reason };
  if (!(await tf.setBackend("native"))) return { ok: false, reason: "native backend failed to start" };
  await tf.ready();
  return { ok: true, result: { backend: "native", note: `native (oneDNN addon): ${r.info}`, device: "cpu" } };
}

async function tryCpu(): Promise<Attempt> {
  const ok = await tf.setBackend("cpu");
  if (!ok) return { ok: false, reason: "cpu backend failed to start" };
  await tf.ready();
  return {
    ok: true,
    result: { backend: "cpu", note: "pure-JS cpu backend: very slow for convolutions (about 1-2 img/s for the reference CNN)", device: "cpu" },
  };
}

/**
 * Activates a tfjs backend for `pref` (see the module comment) and says why. Throws when an
 * explicit preference cannot be loaded.
 */
export async function selectBackend(pref: BackendPreference, options: SelectBackendOptions = {}): Promise<SelectedBackend> {
  const importModule = options.importModule ?? defaultImporter;
  const explicit = async (attempt: Promise<Attempt>, what: string): Promise<SelectedBackend> => {
    const r = await attempt;
    if (r.ok) return r.result;
    throw new Error(`backend "${pref}" (${what}) is not available: ${r.reason}`);
  };
  switch (pref) {
    case "tensorflow-gpu":
      return explicit(tryTensorflow(NODE_GPU, importModule, INSTALL.gpu), NODE_GPU);
    case "tensorflow":
      return explicit(tryTensorflow(NODE_CPU, importModule, INSTALL.cpu), NODE_CPU);
    case "native":
      return explicit(tryNative(importModule), NATIVE_MODULE);
    case "wasm":
      return explicit(tryWasm(), "@tensorflow/tfjs-backend-wasm");
    case "cpu":
      return explicit(tryCpu(), "pure-JS cpu backend");
    case "auto": {
      const skipped: string[] = [];
      const attempts: (() => Promise<Attempt>)[] = [
        () => tryTensorflow(NODE_GPU, importModule, INSTALL.gpu),
        () => tryTensorflow(NODE_CPU, importModule, INSTALL.cpu),
        () => tryNative(importModule),
        tryWasm,
        tryCpu,
      ];
      for (const attempt of attempts) {
        const r = await attempt();
        if (r.ok) {
          const why = skipped.length ? `; not chosen: ${skipped.join("; ")}` : "";
          return { ...r.result, note: `auto: ${r.result.note}${why}` };
        }
        skipped.push(r.reason);
      }
      throw new Error(`no tfjs backend could be started: ${skipped.join("; ")}`);
    }
    default:
      throw new Error(`unknown backend preference "${String(pref)}"; expected auto, tensorflow-gpu, tensorflow, native, wasm or cpu`);
  }
}
