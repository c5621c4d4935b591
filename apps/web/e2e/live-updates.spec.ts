// Runs last (files run in name order with one worker): it adds a run the other specs do not expect.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { FIXTURE_DIR } from "@fmnist/data";
import { expect, test } from "@playwright/test";
import { E2E_ARTIFACTS_DIR, E2E_DATABASE_URL } from "./paths";

let trainer: ChildProcess | undefined;
test.afterAll(() => {
  if (trainer && trainer.exitCode === null) trainer.kill("SIGINT");
});

test("a run that is training shows up and updates without a reload", async ({ page }) => {
  test.setTimeout(150_000);
  await page.goto("/");
  await expect(page.getByTestId("run-row").first()).toBeVisible();

  trainer = spawn(
    "pnpm",
    ["--silent", "--filter", "@fmnist/trainer", "train", "--data-dir", FIXTURE_DIR, "--name", "e2e live", "--architecture", "reference-cnn", "--epochs", "6", "--patience", "0", "--seed", "3", "--backend", "wasm"],
    { cwd: resolve(import.meta.dirname, "../../.."), env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL, ARTIFACTS_DIR: E2E_ARTIFACTS_DIR }, stdio: "ignore" },
  );

  // The page polls (every 10 s while nothing runs): the run must outlast that to be seen running,
  // hence the reference CNN on wasm (~15-40 s here) rather than a tiny model that ends in 5 s.
  const row = page.getByTestId("run-row").filter({ hasText: "e2e live" });
  await expect(row.getByTestId("status-badge")).toHaveText("running", { timeout: 60_000 });
  await expect(page.getByTestId("live-indicator")).toBeVisible();
  await expect(row.getByTestId("status-badge")).toHaveText("succeeded", { timeout: 90_000 });
  await expect(row).toContainText("6/6");
  await expect(page.getByTestId("live-indicator")).toBeHidden();
});
