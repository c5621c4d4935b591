import type { Db } from "./client";
import { failRun } from "./runs";

/** Runs whose worker stopped renewing its lease (killed, crashed, machine lost) are marked FAILED
 * with the reason; their recorded epochs stay. Whoever notices first does it: every worker before
 * it claims, and the web server's periodic sweep (startLeaseSweep), so a dead worker's run shows
 * FAILED even when no worker is left; reads never write. Each update re-checks status and lease, so
 * a renewal that lands in between wins. */
export async function failExpiredLeases(db: Db, now = new Date()): Promise<string[]> {
  const expired = await db.run.findMany({
    where: { status: "RUNNING", leaseExpiresAt: { lt: now } },
    select: { id: true, workerId: true, leaseExpiresAt: true, epochsCompleted: true },
  });
  const failed: string[] = [];
  for (const r of expired) {
    const error =
      `worker ${r.workerId ?? "?"} stopped renewing its lease (expired ${r.leaseExpiresAt?.toISOString()}): ` +
      `it was killed or crashed. ${r.epochsCompleted} epoch(s) were recorded; use Retry to run it again.`;
    if (await failRun(db, r.id, error, { leaseExpiredBefore: now, now })) failed.push(r.id);
  }
  return failed;
}

export interface LeaseSweepOptions {
  /** How often to look; a dead worker's run is FAILED at most this long after its lease ends. */
  intervalMs?: number;
  log?: (message: string) => void;
  /** Runs after each sweep (the db package knows no sweeps: the caller passes advanceRunningSweeps,
   * so a trial whose worker died is replaced even when no worker is left). */
  afterSweep?: (db: Db) => Promise<unknown>;
}

/**
 * Fails expired leases every `intervalMs` until the returned function is called. The web server
 * runs one (instrumentation.ts) so a dead worker's run is failed even when no worker is left; reads
 * stay reads. The timer does not keep the process alive, and a sweep that fails (database
 * restarting) is logged and retried on the next tick.
 */
export function startLeaseSweep(db: Db, options: LeaseSweepOptions = {}): () => void {
  const intervalMs = options.intervalMs ?? 5_000;
  const log = options.log ?? ((m: string) => console.error(m));
  let running = false;
  const timer = setInterval(() => {
    // One sweep at a time: a slow database must not pile them up.
    if (running) return;
    running = true;
    failExpiredLeases(db)
      .then(async (ids) => {
        for (const id of ids) log(`run ${id}: lease expired, marked FAILED`);
        await options.afterSweep?.(db);
      })
      .catch((e: unknown) => log(`lease sweep failed: ${(e as Error).message}`))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
