import type { Db } from "@fmnist/db/client";

/** Claims the oldest QUEUED run for this worker. The claim is one conditional UPDATE (only while
 * still QUEUED), so of several workers racing for a run exactly one gets count 1; the others
 * move on to the next candidate. Works the same on SQLite and PostgreSQL (row lock + re-check). */
export async function claimNextRun(db: Db, workerId: string, leaseMs: number) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const candidates = await db.run.findMany({
      where: { status: "QUEUED" },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: { id: true },
      take: 5,
    });
    if (candidates.length === 0) return null;
    for (const { id } of candidates) {
      const now = new Date();
      const { count } = await db.run.updateMany({
        where: { id, status: "QUEUED" },
        data: { status: "RUNNING", workerId, startedAt: now, leaseExpiresAt: new Date(now.getTime() + leaseMs) },
      });
      if (count === 1) {
        // A re-queued run starts over: drop what an earlier attempt recorded.
        await db.epochMetric.deleteMany({ where: { runId: id } });
        return db.run.findUniqueOrThrow({ where: { id } });
      }
    }
  }
  return null;
}

export async function renewLease(db: Db, runId: string, workerId: string, leaseMs: number): Promise<boolean> {
  const { count } = await db.run.updateMany({
    where: { id: runId, workerId, status: "RUNNING" },
    data: { leaseExpiresAt: new Date(Date.now() + leaseMs) },
  });
  return count === 1;
}

/** Renews a run's lease every third of its length until stopped: the one heartbeat of CLI runs and
 * worker runs. The timer fires between batches because fit() yields to the event loop. */
export function startHeartbeat(db: Db, runId: string, workerId: string, leaseMs: number): { stop(): void } {
  const timer = setInterval(() => void renewLease(db, runId, workerId, leaseMs).catch(() => undefined), leaseMs / 3);
  return { stop: () => clearInterval(timer) };
}

// One implementation for workers and the web app (whose reads fail a dead worker's run too).
export { failExpiredLeases } from "@fmnist/db/leases";

/** Puts a run this worker holds back in the queue (graceful shutdown). */
export async function requeue(db: Db, runId: string, workerId: string): Promise<void> {
  await db.run.updateMany({
    where: { id: runId, workerId, status: { in: ["RUNNING", "CANCELLED"] }, cancelRequested: false },
    data: { status: "QUEUED", workerId: null, leaseExpiresAt: null, startedAt: null, finishedAt: null, epochsCompleted: 0 },
  });
}
