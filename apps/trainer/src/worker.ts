import { hostname } from "node:os";
import type { Db } from "@fmnist/db/client";
import { artifactsDir as defaultArtifactsDir, defaultLeaseMs } from "@fmnist/db/config";
import { failExpiredLeases } from "@fmnist/db/leases";
import { claimNextRun, failRun, requeueRun, startHeartbeat } from "@fmnist/db/runs";
import { parseTrainConfig, requestedTrainConfig } from "@fmnist/model";
import { advanceRunningSweeps, advanceSweep } from "@fmnist/sweep/advance";
import { importModelRun, readStoredSource } from "./import-run";
import { type ProgressReporter, silentReporter } from "./progress";
import { train } from "./train";

export interface WorkerOptions {
  db: Db;
  workerId?: string;
  /** A run whose lease is not renewed within this time is considered abandoned. */
  leaseMs?: number;
  pollMs?: number;
  dataDir?: string;
  artifactsDir?: string;
  reporter?: ProgressReporter;
  /** Exit when the queue is empty instead of waiting (tests, batch jobs). */
  exitWhenIdle?: boolean;
  log?: (s: string) => void;
}

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}`;
}

/** Takes QUEUED runs one at a time until stopped. Returns how many runs it processed. */
export async function runWorker(options: WorkerOptions, signal?: AbortSignal): Promise<number> {
  const { db } = options;
  const workerId = options.workerId ?? defaultWorkerId();
  const leaseMs = options.leaseMs ?? defaultLeaseMs();
  const pollMs = options.pollMs ?? 1000;
  const log = options.log ?? ((s: string) => console.error(s));
  let processed = 0;
  log(`worker ${workerId} waiting for queued runs (lease ${leaseMs / 1000} s)`);
  while (!signal?.aborted) {
    for (const id of await failExpiredLeases(db)) log(`run ${id}: lease expired, marked FAILED`);
    // Sweeps whose trials ended elsewhere (or whose worker died) get their next trials queued.
    await advanceRunningSweeps(db).catch((e: unknown) => log(`advancing sweeps failed: ${(e as Error).message}`));
    const run = await claimNextRun(db, workerId, leaseMs);
    if (!run) {
      if (options.exitWhenIdle) break;
      await new Promise((r) => setTimeout(r, pollMs));
      continue;
    }
    log(`run ${run.id} (${run.name}): claimed`);
    // Renew well before expiry; the timer fires between batches because training yields.
    const heartbeat = startHeartbeat(db, run.id, workerId, leaseMs);
    try {
      if (run.kind === "imported") {
        // An upload from the dashboard: the file was checked on upload and stored with the run.
        const root = options.artifactsDir ?? defaultArtifactsDir();
        const result = await importModelRun({
          db,
          runId: run.id,
          bytes: readStoredSource(root, run.id, run.sourceFormat),
          fileName: run.sourceFileName ?? "model",
          name: run.name,
          dataDir: options.dataDir,
          artifactsDir: root,
          log: (s) => log(`run ${run.id}: ${s}`),
        });
        log(`run ${run.id}: SUCCEEDED (imported, test accuracy ${(result.testAccuracy * 100).toFixed(2)}%)`);
        processed++;
        continue;
      }
      const result = await train({
        db,
        // A run retried or re-queued after reading the shipped subset (the CLI's --data-dir) stays on it.
        config: parseTrainConfig(requestedTrainConfig(run.config, run)),
        runId: run.id,
        dataDir: options.dataDir,
        artifactsDir: options.artifactsDir,
        reporter: options.reporter ?? silentReporter,
        shouldStop: () => Boolean(signal?.aborted),
      });
      if (result.status === "CANCELLED" && signal?.aborted) {
        await requeueRun(db, run.id, workerId);
        log(`run ${run.id}: worker stopping, put back in the queue`);
      } else {
        log(`run ${run.id}: ${result.status}${result.testAccuracy !== undefined ? ` (test accuracy ${(result.testAccuracy * 100).toFixed(2)}%)` : ""}`);
      }
    } catch (e) {
      // train() marks its own failures; this covers what fails before it starts (a bad config).
      const message = (e as Error).message;
      await failRun(db, run.id, message, { workerId }).catch(() => undefined);
      log(`run ${run.id}: FAILED: ${message}`);
    } finally {
      heartbeat.stop();
      // A sweep trial ended (any way): queue the sweep's next trials at once.
      if (run.sweepId) await advanceSweep(db, run.sweepId).catch((e: unknown) => log(`sweep ${run.sweepId}: ${(e as Error).message}`));
    }
    processed++;
  }
  return processed;
}
