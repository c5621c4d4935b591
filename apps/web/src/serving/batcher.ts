import { IMAGE_PIXELS } from "@fmnist/data/image";
import { ServeError } from "./errors";
import type { BatchingConfig } from "./limits";

/** Predicts `n` images packed in `input` (n*784 floats) and returns n*10 probabilities. */
export type PredictBatch = (input: Float32Array, n: number) => Float32Array | Promise<Float32Array>;

interface Pending {
  input: Float32Array;
  n: number;
  resolve(out: Float32Array): void;
  reject(e: unknown): void;
}

const PIXELS = IMAGE_PIXELS;
const CLASSES = 10;

/**
 * Dynamic batching, as TensorFlow Serving does it, adaptive: one batch runs at a time, and what
 * arrives meanwhile is the next batch, which starts as soon as the running one ends (up to
 * `maxBatch` images, which cost little more than one). When nothing runs, a request does not wait
 * for others: its batch starts at the end of the current event-loop turn, with whatever requests
 * were read from the sockets in that turn (`windowMs` > 0 adds a fixed wait instead). So an idle
 * server answers one request at once, and a busy one forms batches as large as its load.
 * A bounded queue: when `maxQueue` images already wait, a new request is refused with 503 and a
 * Retry-After estimated from the measured throughput.
 * The batch is gathered into one Float32Array kept for the batcher's life, on shared memory so the
 * inference thread reads it without a copy or a new buffer per batch.
 */
export class DynamicBatcher {
  private pending: Pending[] = [];
  private queued = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private scheduled = false;
  private running = false;
  /** Images per second of recent batches (for Retry-After). */
  private rate = 0;
  readonly stats = { batches: 0, images: 0, rejected: 0, maxBatchSeen: 0 };
  /** maxBatch images, reused by every batch (allocated on first use). */
  private staging: Float32Array | null = null;

  constructor(
    private readonly predict: PredictBatch,
    private readonly config: BatchingConfig,
  ) {}

  get queuedImages(): number {
    return this.queued;
  }

  submit(input: Float32Array, n: number): Promise<Float32Array> {
    if (this.queued + n > this.config.maxQueue && this.queued > 0) {
      this.stats.rejected++;
      const seconds = Math.max(1, Math.ceil(this.queued / Math.max(1, this.rate)));
      return Promise.reject(
        new ServeError(503, `The server is busy: ${this.queued} images are waiting (limit ${this.config.maxQueue}); try again in ${seconds} s`, { "retry-after": String(seconds) }),
      );
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ input, n, resolve, reject });
      this.queued += n;
      if (this.queued >= this.config.maxBatch || this.config.windowMs === 0) this.runSoon();
      else this.timer ??= setTimeout(() => this.runSoon(), this.config.windowMs);
    });
  }

  private runSoon() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // setImmediate: requests already read from sockets join this batch first.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush() {
    if (!this.pending.length || this.running) return;
    const batch: Pending[] = [];
    let n = 0;
    while (this.pending.length && (batch.length === 0 || n + this.pending[0].n <= this.config.maxBatch)) {
      const p = this.pending.shift() as Pending;
      batch.push(p);
      n += p.n;
    }
    this.queued -= n;
    this.running = true;
    try {
      let input: Float32Array;
      // A single request over maxBatch runs alone, from its own array.
      if (n > this.config.maxBatch) input = batch[0].input;
      else {
        this.staging ??= new Float32Array(new SharedArrayBuffer(this.config.maxBatch * PIXELS * 4));
        input = this.staging.subarray(0, n * PIXELS);
        let at = 0;
        for (const p of batch) {
          input.set(p.input.subarray(0, p.n * PIXELS), at);
          at += p.n * PIXELS;
        }
      }
      const t0 = performance.now();
      const out = await this.predict(input, n);
      const seconds = (performance.now() - t0) / 1000;
      if (seconds > 0) this.rate = this.rate ? 0.8 * this.rate + 0.2 * (n / seconds) : n / seconds;
      this.stats.batches++;
      this.stats.images += n;
      this.stats.maxBatchSeen = Math.max(this.stats.maxBatchSeen, n);
      let at = 0;
      for (const p of batch) {
        p.resolve(out.subarray(at, at + p.n * CLASSES));
        at += p.n * CLASSES;
      }
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.running = false;
    }
    // What arrived while this batch ran has waited long enough: next turn of the event loop.
    if (this.pending.length) this.runSoon();
  }
}
