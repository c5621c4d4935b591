// Runs last (files run in name order with one worker): it adds a run the other specs do not expect.
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { FIXTURE_DIR } from "@fmnist/data";
import { expect, test } from "@playwright/test";
import { E2E_ARTIFACTS_DIR, E2E_DATABASE_URL, E2E_DIR } from "./paths";

// The trainer's test-only hold (apps/trainer/src/test-hold.ts): the run waits before any epoch
// after the number in this file, so the test decides when it moves on, however busy the machine.
const HOLD_FILE = join(E2E_DIR, "live-hold");

let trainer: ChildProcess | undefined;
test.afterAll(() => {
  rmSync(HOLD_FILE, { force: true });
  if (trainer && trainer.exitCode === null) trainer.kill("SIGINT");
});

test("a run that is training shows up and updates without a reload", async ({ page }) => {
  test.setTimeout(150_000);
  await page.goto("/");
  await expect(page.getByTestId("run-row").first()).toBeVisible();

  writeFileSync(HOLD_FILE, "0");
  trainer = spawn(
    "pnpm",
    ["--silent", "--filter", "@fmnist/trainer", "train", "--data-dir", FIXTURE_DIR, "--name", "e2e live", "--architecture", "tiny-cnn", "--epochs", "3", "--patience", "0", "--seed", "3", "--backend", "auto"],
    {
      cwd: resolve(import.meta.dirname, "../../.."),
      env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL, ARTIFACTS_DIR: E2E_ARTIFACTS_DIR, FMNIST_TEST_HOLD_FILE: HOLD_FILE },
      stdio: "ignore",
    },
  );

  // Held before its first batch, the run stays RUNNING until the page's poll (every 10 s while
  // nothing runs) sees it; the timeouts below bound polling and a tiny model's epochs, not a race.
  const row = page.getByTestId("run-row").filter({ hasText: "e2e live" });
  await expect(row.getByTestId("status-badge")).toHaveText("running", { timeout: 60_000 });
  await expect(page.getByTestId("live-indicator")).toBeVisible();
  await expect(row).toContainText("0/3");
  // One epoch, then held again: the row shows it without a reload.
  writeFileSync(HOLD_FILE, "1");
  await expect(row).toContainText("1/3", { timeout: 60_000 });
  await expect(row.getByTestId("status-badge")).toHaveText("running");
  // Released: it finishes, and the page stops polling fast.
  rmSync(HOLD_FILE, { force: true });
  await expect(row.getByTestId("status-badge")).toHaveText("succeeded", { timeout: 90_000 });
  await expect(row).toContainText("3/3");
  await expect(page.getByTestId("live-indicator")).toBeHidden();
});
