/**
 * Adaptive threads (addon/native_cpu.cc, Threads): while another process keeps a core busy the
 * addon runs on one thread (an OpenMP region stalls whenever one of its threads is descheduled).
 * Going back to all threads needs a quiet machine, which a test cannot promise, so only the step
 * down is checked. Skipped with a note when the addon is not built.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { nativeThreadInfo, registerNativeBackend } from "../src/native/index";

const reg = await registerNativeBackend({ threads: 2, adaptiveThreads: true });
if (!reg.ok) console.warn(`adaptive thread tests skipped: ${reg.reason}`);

/** A process that spins on one core. */
const hog = (): ChildProcess => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });

/** Convolutions on the native backend for `ms` (the addon re-reads the load every 500 ms). */
async function train(ms: number) {
  await tf.setBackend("native");
  const [x, k] = [tf.randomNormal([32, 28, 28, 16]), tf.randomNormal([3, 3, 16, 16])] as const;
  for (const t0 = Date.now(); Date.now() - t0 < ms; ) tf.tidy(() => tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, "same").dataSync());
  tf.dispose([x, k]);
  return nativeThreadInfo();
}

describe.runIf(reg.ok && availableParallelism() >= 2)("adaptive threads", () => {
  it("a process spinning on a core takes us down to one thread", async () => {
    const busy = hog();
    const withNeighbour = await train(2500).finally(() => busy.kill());
    console.log(`with a neighbour: ${JSON.stringify(withNeighbour)}`);
    expect(withNeighbour).toMatchObject({ adaptive: true, max: 2, current: 1 });
    expect(withNeighbour?.otherLoad).toBeGreaterThan(0.25);
  });
});
