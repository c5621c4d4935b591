import type { Db } from "./client";

/** Runs whose worker stopped renewing its lease (killed, crashed, machine lost) are marked FAILED
 * with the reason; their recorded epochs stay. Whoever notices first does it: every worker before
 * it claims, and the web app's reads, so a dead worker's run shows FAILED even when no worker is
 * left. Each update re-checks status and lease, so a renewal that lands in between wins. */
export async function failExpiredLeases(db: Db, now = new Date()): Promise<string[]> {
  const expired = await db.run.findMany({
    where: { status: "RUNNING", leaseExpiresAt: { lt: now } },
    select: { id: true, workerId: true, leaseExpiresAt: true, epochsCompleted: true },
  });
  const failed: string[] = [];
  for (const r of expired) {
    const { count } = await db.run.updateMany({
      where: { id: r.id, status: "RUNNING", leaseExpiresAt: { lt: now } },
      data: {
        status: "FAILED",
        finishedAt: now,
        error:
          `worker ${r.workerId ?? "?"} stopped renewing its lease (expired ${r.leaseExpiresAt?.toISOString()}): ` +
          `it was killed or crashed. ${r.epochsCompleted} epoch(s) were recorded; use Retry to run it again.`,
      },
    });
    if (count === 1) failed.push(r.id);
  }
  return failed;
}
