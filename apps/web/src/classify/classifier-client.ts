// The page's handle on the classify worker: one promise per request, progress callbacks, and a
// fresh worker if the old one dies (out of memory, say), so the page keeps working.
import type { Backend, Classification, ClassifyErrorKind, LoadedModel, Saliency, Segmentation, TestSetResult, WorkerRequest, WorkerResponse } from "./protocol";

export class ClassifierError extends Error {
  constructor(
    readonly kind: ClassifyErrorKind,
    message: string,
  ) {
    super(message);
  }
}

type Pending = {
  resolve: (value: never) => void;
  reject: (error: ClassifierError) => void;
  onProgress?: (done: number, total: number) => void;
};

type Body<T extends WorkerRequest["type"]> = Omit<Extract<WorkerRequest, { type: T }>, "type" | "id">;

export class ClassifierClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  /** Called when the worker died and was replaced: the model must be loaded again. */
  onCrash: ((message: string) => void) | null = null;

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL("./classify.worker.ts", import.meta.url), { type: "module", name: "classify" });
    worker.onmessage = (e: MessageEvent<WorkerResponse>) => this.receive(e.data);
    worker.onerror = (e) => this.crash(e.message || "the classifier worker failed");
    worker.onmessageerror = () => this.crash("a message from the classifier worker could not be read");
    this.worker = worker;
    return worker;
  }

  private crash(reason: string) {
    this.worker?.terminate();
    this.worker = null;
    const message = `The classifier stopped (${reason}). Load the model again to continue.`;
    for (const p of this.pending.values()) p.reject(new ClassifierError("internal", message));
    this.pending.clear();
    this.onCrash?.(message);
  }

  private receive(msg: WorkerResponse) {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === "progress") {
      p.onProgress?.(msg.done, msg.total);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === "error") p.reject(new ClassifierError(msg.kind, msg.message));
    else if (msg.type === "loaded") p.resolve(msg.model as never);
    else if (msg.type === "classified") p.resolve(msg.result as never);
    else if (msg.type === "test-set-done") p.resolve(msg.result as never);
    else if (msg.type === "saliency-done") p.resolve(msg.result as never);
  }

  private send<R>(req: WorkerRequest, transfer: Transferable[] = [], onProgress?: Pending["onProgress"]): Promise<R> {
    const worker = this.ensureWorker();
    return new Promise<R>((resolve, reject) => {
      this.pending.set(req.id, { resolve: resolve as (v: never) => void, reject, onProgress });
      worker.postMessage(req, transfer);
    });
  }

  load(modelUrl: string, backend: Backend | null): Promise<LoadedModel> {
    const wasmPath = new URL("/classify/wasm/", window.location.origin).href;
    return this.send({ type: "load", id: this.nextId++, modelUrl: new URL(modelUrl, window.location.origin).href, backend, wasmPath });
  }

  classifyFile(file: Blob, name: string, segmentation: Segmentation): Promise<Classification> {
    const segmenter = { modelUrl: new URL("/classify/segmenter", window.location.origin).href, wasmPath: new URL("/classify/ort/", window.location.origin).href };
    return this.send({ type: "classify-file", id: this.nextId++, file, name, segmentation, segmenter });
  }

  classifyPixels(body: Body<"classify-pixels">): Promise<Classification> {
    return this.send({ type: "classify-pixels", id: this.nextId++, ...body }, [body.rgba.buffer]);
  }

  /** The saliency map of another class for an input the worker classified (a copy is sent). */
  saliency(input: Float32Array, classIndex: number): Promise<Saliency> {
    return this.send({ type: "saliency", id: this.nextId++, input: Float32Array.from(input), classIndex });
  }

  /** Returns the request id (to cancel it) and the result. */
  testSet(url: string, batchSize: number, onProgress: (done: number, total: number) => void): { id: number; result: Promise<TestSetResult> } {
    const id = this.nextId++;
    return { id, result: this.send({ type: "test-set", id, url: new URL(url, window.location.origin).href, batchSize }, [], onProgress) };
  }

  cancel(id: number) {
    this.worker?.postMessage({ type: "cancel", id } satisfies WorkerRequest);
  }

  dispose() {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new ClassifierError("cancelled", "The page was left"));
    this.pending.clear();
  }
}
