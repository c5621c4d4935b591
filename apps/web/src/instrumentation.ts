/**
 * Runs once when the server starts (Next's instrumentation hook). It starts the lease sweep: a run
 * whose worker died is marked FAILED within FMNIST_LEASE_SWEEP_MS (5 s) of its lease running out,
 * even when no worker is alive, without the dashboard's reads doing writes; after each pass it
 * advances running sweeps, so such a trial is replaced with no worker alive. And it makes the HTTP
 * server answer TRACE/TRACK with 405 (Next.js would answer 500 before our code runs).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { refuseForbiddenMethods } = await import("~/server/forbidden-methods");
  refuseForbiddenMethods();
  const { db } = await import("@fmnist/db/client");
  const { startLeaseSweep } = await import("@fmnist/db/leases");
  const { advanceRunningSweeps } = await import("@fmnist/sweep/advance");
  // 0 turns it off (the e2e setup replaces the database file after the server has started).
  const intervalMs = Number(process.env.FMNIST_LEASE_SWEEP_MS ?? 5_000);
  if (intervalMs === 0) return;
  startLeaseSweep(db(), { intervalMs: Number.isFinite(intervalMs) && intervalMs > 0 ? intervalMs : 5_000, afterSweep: advanceRunningSweeps });
}
