// Where predictions run: in a worker thread (the default), so the request thread keeps reading
// requests and building the next batch while a batch is predicted, and inference gets a core of its
// own; or, where the worker cannot start (FMNIST_SERVE_THREAD=0, or tsx missing), in the request
// thread itself.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Worker } from "node:worker_threads";
import { type ServingBackend, servingBackend } from "./backend";
import { loadPredictor, type Predictor, UnservableModelError } from "./predictor";

export interface Engine {
  backend: ServingBackend;
  /** Loads a model file under `key`; returns its parameter count. */
  load(key: string, path: string): Promise<number>;
  predict(key: string, input: Float32Array, n: number): Promise<Float32Array>;
  dispose(key: string): void;
}

class InThreadEngine implements Engine {
  private models = new Map<string, Predictor>();
  constructor(readonly backend: ServingBackend) {}
  async load(key: string, path: string) {
    const p = await loadPredictor(path);
    this.models.get(key)?.dispose();
    this.models.set(key, p);
    return p.params;
  }
  async predict(key: string, input: Float32Array, n: number) {
    const p = this.models.get(key);
    if (!p) throw new Error(`model ${key} is not loaded`);
    return p.predict(input, n);
  }
  dispose(key: string) {
    this.models.get(key)?.dispose();
    this.models.delete(key);
  }
}

type Reply = { id: number; error?: string; unservable?: boolean; params?: number; out?: ArrayBuffer; backend?: ServingBackend };

class WorkerEngine implements Engine {
  private next = 1;
  private waiting = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  /** The shared staging buffer posted to the worker for each model. */
  private shared = new Map<string, SharedArrayBuffer>();
  backend!: ServingBackend;

  constructor(private readonly worker: Worker) {
    worker.on("message", (r: Reply) => {
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (r.error !== undefined) w.reject(r.unservable ? new UnservableModelError(r.error) : new Error(r.error));
      else w.resolve(r);
    });
    worker.on("error", (e) => this.failAll(e));
    worker.on("exit", (code) => this.failAll(new Error(`the inference thread exited (code ${code})`)));
    // The worker must not keep a finished process (tests, scripts) alive.
    worker.unref();
  }

  private failAll(e: Error) {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  call(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  async load(key: string, path: string) {
    return (await this.call({ type: "load", key, path })).params ?? 0;
  }
  async predict(key: string, input: Float32Array, n: number) {
    if (input.buffer instanceof SharedArrayBuffer) {
      // Shared memory (the batcher's staging array) is read by the worker in place; the buffer
      // itself travels once (posting a SharedArrayBuffer costs far more than a few numbers).
      if (this.shared.get(key) !== input.buffer) {
        this.shared.set(key, input.buffer);
        this.worker.postMessage({ type: "share", key, buffer: input.buffer });
      }
      const r = await this.call({ type: "predict", key, offset: input.byteOffset, n });
      return new Float32Array(r.out as ArrayBuffer);
    }
    // Anything else travels as a transferred copy (the caller's array may be a view into a larger
    // buffer).
    const copy = input.slice();
    const r = await this.call({ type: "predict", key, input: copy, n }, [copy.buffer]);
    return new Float32Array(r.out as ArrayBuffer);
  }
  dispose(key: string) {
    this.shared.delete(key);
    void this.call({ type: "dispose", key }).catch(() => {});
  }
}

/** The worker script, found from the working directory (apps/web under `next start`): a bundled
 * copy of this module cannot locate it from its own URL. */
function findWorkerScript(): string | null {
  let dir = process.cwd();
  for (let i = 0; i < 5; i++) {
    for (const rel of ["src/serving/predict-worker.mjs", "apps/web/src/serving/predict-worker.mjs"]) {
      if (existsSync(join(dir, rel))) return join(dir, rel);
    }
    dir = dirname(dir);
  }
  return null;
}

async function startWorker(): Promise<Engine> {
  const script = findWorkerScript();
  if (!script) throw new Error("predict-worker.mjs not found");
  // Taken at run time: Next's bundler would otherwise try to bundle whatever `new Worker(path)`
  // could name (it then pulls in every file under the working directory).
  const { Worker: WorkerThread } = process.getBuiltinModule("node:worker_threads");
  const worker: Worker = new WorkerThread(script);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the inference thread did not start within 60 s")), 60_000);
    worker.once("message", () => {
      clearTimeout(timer);
      resolve();
    });
    worker.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const engine = new WorkerEngine(worker);
  const r = await engine.call({ type: "backend" });
  engine.backend = r.backend as ServingBackend;
  return engine;
}

/** An engine: "thread" (a worker thread; falls back to "inline" when it cannot start) or "inline". */
export async function createEngine(mode: "thread" | "inline"): Promise<Engine> {
  if (mode === "thread") {
    try {
      const engine = await startWorker();
      return { ...proxy(engine), backend: { ...engine.backend, note: `${engine.backend.note}; in an inference thread` } };
    } catch (e) {
      const b = await servingBackend();
      return new InThreadEngine({ ...b, note: `${b.note}; in the request thread (the inference thread did not start: ${e instanceof Error ? e.message : String(e)})` });
    }
  }
  const b = await servingBackend();
  return new InThreadEngine({ ...b, note: `${b.note}; in the request thread (FMNIST_SERVE_THREAD=0)` });
}

/** The process-wide engine (on globalThis: the Next route and the fast path may be bundled apart,
 * and one inference thread is enough). */
export function servingEngine(): Promise<Engine> {
  const g = globalThis as { __fmnistServingEngine?: Promise<Engine> };
  g.__fmnistServingEngine ??= createEngine(process.env.FMNIST_SERVE_THREAD === "0" ? "inline" : "thread");
  return g.__fmnistServingEngine;
}

/** The engine's methods bound, so the object can be spread with another backend note. */
function proxy(e: Engine): Engine {
  return { backend: e.backend, load: e.load.bind(e), predict: e.predict.bind(e), dispose: e.dispose.bind(e) };
}
