/**
 * Runs once when the server starts (Next's instrumentation hook). It makes the HTTP server answer
 * TRACE/TRACK with 405 (Next.js would answer 500 before our code runs), routes the prediction API
 * (/api/v1/models/<ref>...) to its plain Node handler before Next's router (FMNIST_SERVE_FAST=0
 * leaves it to the Next route: the same endpoints, many times the CPU per request), and starts the
 * lease sweep: a run whose worker died is marked FAILED within FMNIST_LEASE_SWEEP_MS (5 s) of its
 * lease running out, even when no worker is alive, without the dashboard's reads doing writes; after
 * each pass it advances running sweeps, so such a trial is replaced with no worker alive.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { refuseForbiddenMethods, serveBeforeNext } = await import("~/server/intercept");
  refuseForbiddenMethods();
  if (process.env.FMNIST_SERVE_FAST !== "0") {
    const { isFastPathRequest, serveModelsNode } = await import("~/serving/node-handler");
    serveBeforeNext("prediction-api", { matches: isFastPathRequest, handle: (req, res) => serveModelsNode(req, res) });
  }
  const { db } = await import("@fmnist/db/client");
  const { startLeaseSweep } = await import("@fmnist/db/leases");
  const { advanceRunningSweeps } = await import("@fmnist/sweep/advance");
  // 0 turns it off (the e2e setup replaces the database file after the server has started).
  const intervalMs = Number(process.env.FMNIST_LEASE_SWEEP_MS ?? 5_000);
  if (intervalMs === 0) return;
  startLeaseSweep(db(), { intervalMs: Number.isFinite(intervalMs) && intervalMs > 0 ? intervalMs : 5_000, afterSweep: advanceRunningSweeps });
}
