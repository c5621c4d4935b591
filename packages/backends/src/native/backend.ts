/**
 * The "native" backend class: tfjs's MathBackendCPU plus a pool of Float32Arrays for kernel
 * outputs.
 *
 * Without the pool every training step allocates ~40 MB of fresh ArrayBuffers: page faults on
 * first touch and, through V8's external-memory accounting, a full (mark-compact) GC almost every
 * step. With it, arrays of freed tensors are reused by the next kernel that needs the same length.
 * An array is only recycled when nothing else can still see it:
 * - only arrays the native kernels allocated ("owned") are pooled, never user-supplied ones;
 * - an array handed out by readSync/read (tensor.dataSync()/data() return the backing array
 *   itself) is disowned, so user code may keep it after disposing the tensor;
 * - when a cpu kernel returns a view of an owned input (e.g. a contiguous Slice), that array is
 *   disowned too (see afterCpuKernel).
 */

import type * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { setAfterCpuKernel } from "./kernels";

type DataId = tf.TensorInfo["dataId"];
type CpuClass = typeof MathBackendCPU;

/** Arrays shorter than this are left to V8 (pooling them saves nothing). */
const POOL_MIN_LENGTH = 1024;
/** Upper bound of the bytes held by the pool, and of arrays kept per length. */
const POOL_MAX_BYTES = 512 * 1024 * 1024;
const POOL_MAX_PER_LENGTH = 32;

export interface PoolStats {
  hits: number;
  misses: number;
  recycled: number;
  disowned: number;
  pooledBytes: number;
}

export function makeNativeBackendClass(Base: CpuClass) {
  class NativeBackend extends Base {
    private readonly pool = new Map<number, Float32Array[]>();
    private readonly owned = new WeakSet<ArrayBuffer>();
    readonly poolStats: PoolStats = { hits: 0, misses: 0, recycled: 0, disowned: 0, pooledBytes: 0 };

    constructor() {
      super();
      // Silences the cpu backend's "install tfjs-node" banner: this backend is the fast path.
      (this as unknown as { firstUse: boolean }).firstUse = false;
    }

    /** A Float32Array of length n for a kernel output; NOT zeroed when it comes from the pool. */
    allocF32(n: number): Float32Array {
      if (n < POOL_MIN_LENGTH) return new Float32Array(n);
      const a = this.pool.get(n)?.pop();
      if (a) {
        this.poolStats.hits++;
        this.poolStats.pooledBytes -= a.byteLength;
        return a;
      }
      this.poolStats.misses++;
      const fresh = new Float32Array(n);
      this.owned.add(fresh.buffer);
      return fresh;
    }

    disown(values: unknown): void {
      if (ArrayBuffer.isView(values) && this.owned.delete(values.buffer as ArrayBuffer)) this.poolStats.disowned++;
    }

    override disposeData(dataId: DataId, force = false): boolean {
      const entry = this.data.get(dataId);
      const values = entry?.values;
      const freed = super.disposeData(dataId, force);
      if (
        freed &&
        values instanceof Float32Array &&
        values.byteOffset === 0 &&
        this.owned.has(values.buffer as ArrayBuffer) &&
        !this.data.has(dataId) &&
        this.poolStats.pooledBytes + values.byteLength <= POOL_MAX_BYTES
      ) {
        let list = this.pool.get(values.length);
        if (!list) {
          list = [];
          this.pool.set(values.length, list);
        }
        if (list.length < POOL_MAX_PER_LENGTH) {
          list.push(values);
          this.poolStats.pooledBytes += values.byteLength;
          this.poolStats.recycled++;
        }
      }
      return freed;
    }

    override readSync(dataId: DataId) {
      this.disown(this.data.get(dataId)?.values);
      return super.readSync(dataId);
    }

    override async read(dataId: DataId) {
      return this.readSync(dataId);
    }

    /** Drops the pooled arrays (they are garbage-collected). */
    clearPool(): void {
      this.pool.clear();
      this.poolStats.pooledBytes = 0;
    }

    override dispose(): void {
      this.clearPool();
      super.dispose();
    }
  }

  setAfterCpuKernel((args, result) => {
    const backend = args.backend as unknown as NativeBackend;
    if (typeof backend.disown !== "function") return;
    const outs = Array.isArray(result) ? result : [result];
    for (const o of outs) {
      if (!o?.dataId) continue;
      // An output that reuses an input's dataId (Reshape, Identity) is tracked by refCount; an
      // output with its own dataId over an input's array (a view) must keep that array alive.
      const v = backend.data.get(o.dataId)?.values;
      if (!ArrayBuffer.isView(v)) continue;
      for (const input of Object.values(args.inputs)) {
        const ti = input as tf.TensorInfo | undefined;
        if (!ti?.dataId || ti.dataId === o.dataId) continue;
        const iv = backend.data.get(ti.dataId)?.values;
        if (ArrayBuffer.isView(iv) && iv.buffer === v.buffer) backend.disown(v);
      }
    }
  });

  return NativeBackend;
}
