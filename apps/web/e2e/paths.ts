import { join } from "node:path";

// One place for the e2e environment, shared by playwright.config.ts (server env), the global setup
// (which creates it) and the specs. Inside the checkout (git-ignored) so that parallel checkouts
// on one machine do not collide.
/** E2E_PORT lets several checkouts on one machine run their e2e suites at once. */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3210);
export const E2E_DIR = join(import.meta.dirname, ".tmp");
export const E2E_DB_FILE = join(E2E_DIR, "e2e.db");
export const E2E_DATABASE_URL = `file:${E2E_DB_FILE}`;
export const E2E_ARTIFACTS_DIR = join(E2E_DIR, "artifacts");
/** What global-setup recorded about the runs it trained (ids, DB values to assert against). */
export const E2E_RUNS_FILE = join(E2E_DIR, "runs.json");
export const SCREENSHOTS_DIR = join(import.meta.dirname, "screenshots");
/** The server runs with FMNIST_ADMIN_TOKEN set to this: mutations need it, reads stay open. */
export const E2E_ADMIN_TOKEN = "e2e-admin-token";
