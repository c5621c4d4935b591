import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import { E2E_ADMIN_TOKEN, E2E_ARTIFACTS_DIR, E2E_DATABASE_URL, E2E_PORT } from "./e2e/paths";

const webDir = import.meta.dirname;

// Real Chromium from Debian (never `playwright install`), a production build of the app on port
// 3210, and a fresh database that e2e/global-setup.ts fills with real trainer runs.
export default defineConfig({
  testDir: "./e2e",
  outputDir: "./test-results",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  globalSetup: "./e2e/global-setup.ts",
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    viewport: { width: 1400, height: 900 },
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    // The server opens the database on its first query, after global-setup has created it (the
    // readiness check below asks for a static file). E2E_REUSE_BUILD=1 skips `next build` when a
    // build exists.
    command: `sh -c '[ "$E2E_REUSE_BUILD" = 1 ] && [ -f .next/BUILD_ID ] || pnpm exec next build; exec pnpm exec next start -H 127.0.0.1 -p ${E2E_PORT}'`,
    url: `http://127.0.0.1:${E2E_PORT}/icon.svg`,
    cwd: webDir,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      DATABASE_URL: E2E_DATABASE_URL,
      ARTIFACTS_DIR: E2E_ARTIFACTS_DIR,
      // Mutations (new run, cancel, retry, delete) need the token, as on a shared deployment.
      FMNIST_ADMIN_TOKEN: E2E_ADMIN_TOKEN,
      NEXT_TELEMETRY_DISABLED: "1",
      // global-setup deletes and re-creates the database file while this server starts; the lease
      // sweep would open (and keep) the old file. Its behaviour is tested in packages/api.
      FMNIST_LEASE_SWEEP_MS: "0",
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      E2E_REUSE_BUILD: process.env.E2E_REUSE_BUILD ?? "",
    },
  },
  metadata: { screenshots: join(webDir, "e2e", "screenshots") },
});
