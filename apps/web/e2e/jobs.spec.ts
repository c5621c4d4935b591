// Training jobs from the dashboard, end to end: the new-run form, a real worker process (the
// trainer CLI's `worker` command on the e2e database), live progress, cancel, retry, clone, delete,
// bad input refused with field errors, and the admin token (the server runs with FMNIST_ADMIN_TOKEN). Runs after dashboard.spec.ts (files go in name order,
// one worker): the runs it adds are all finished (or deleted) when it ends.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type APIRequestContext, expect, type Page, test } from "@playwright/test";
import { E2E_ADMIN_TOKEN, E2E_ARTIFACTS_DIR, SCREENSHOTS_DIR } from "./paths";
import { byName } from "./runs";
import { type E2EWorker, startE2EWorker } from "./worker";

test.describe.configure({ mode: "serial" });

const WORKER_LOG_DIR = resolve(import.meta.dirname, "../test-results");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

let worker: E2EWorker | undefined;

/** `pnpm worker` as a process of its own, polling every 0.2 s, on the e2e database. */
function startWorker() {
  if (worker && worker.child.exitCode === null) return worker;
  worker = startE2EWorker("e2e-worker");
  return worker;
}

test.afterAll(async () => {
  if (!worker) return;
  if (worker.child.exitCode === null) {
    // SIGTERM: the worker finishes its batch, puts a run it holds back in the queue and exits.
    worker.child.kill("SIGTERM");
    const code = await Promise.race([worker.exited, new Promise((r) => setTimeout(() => r("timeout"), 20_000))]);
    if (code === "timeout") worker.child.kill("SIGKILL");
  }
  // What the worker said, for when a test here fails.
  mkdirSync(WORKER_LOG_DIR, { recursive: true });
  writeFileSync(join(WORKER_LOG_DIR, "jobs-worker.log"), worker.output());
});

const trpcGet = (path: string, json: unknown) => `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json }))}`;
async function runCount(request: APIRequestContext): Promise<number> {
  const res = await request.get("/api/trpc/runs.facets");
  expect(res.status()).toBe(200);
  return (await res.json()).result.data.json.total as number;
}

/** Every status (and live headline) the run page renders, with a timestamp: transitions shorter
 * than a poll would be missed by toHaveText alone. */
async function recordStatuses(page: Page) {
  await page.evaluate(() => {
    const log: { t: number; status: string | null; headline: string | null }[] = [];
    (window as unknown as { __statusLog: typeof log }).__statusLog = log;
    const snap = () => {
      const status = document.querySelector('[data-testid="run-name"] [data-testid="status-badge"]')?.textContent ?? null;
      const headline = document.querySelector('[data-testid="live-headline"]')?.textContent ?? null;
      const last = log[log.length - 1];
      if (!last || last.status !== status || last.headline !== headline) log.push({ t: Date.now(), status, headline });
    };
    new MutationObserver(snap).observe(document.body, { subtree: true, childList: true, characterData: true });
    snap();
  });
  return () => page.evaluate(() => (window as unknown as { __statusLog: { t: number; status: string | null; headline: string | null }[] }).__statusLog);
}

async function fillForm(page: Page, values: Record<string, string>) {
  for (const [field, value] of Object.entries(values)) {
    const input = page.locator(`#run-${field}`);
    if ((await input.evaluate((el) => el.tagName)) === "SELECT") await input.selectOption(value);
    else await input.fill(value);
  }
}

/** The token, as the dashboard keeps it once asked (each test has a fresh browser context). */
const authorize = (page: Page) => page.addInitScript((token) => window.localStorage.setItem("fmnist-admin-token", token), E2E_ADMIN_TOKEN);
const bearer = { authorization: `Bearer ${E2E_ADMIN_TOKEN}` };

const runIdFromUrl = (page: Page) => {
  const m = new URL(page.url()).pathname.match(/^\/runs\/([^/]+)$/);
  expect(m, page.url()).not.toBeNull();
  return decodeURIComponent(m![1]);
};

test("admin token: reads are open; the first change asks for it once, a wrong one gets the 401 message", async ({ page, request }) => {
  test.setTimeout(90_000);
  const before = await runCount(request);
  // Reads need nothing.
  await page.goto("/");
  await expect(page.getByTestId("run-row").first()).toBeVisible();
  await expect(page.getByTestId("token-prompt")).toHaveCount(0);
  // Nor does the HTTP API for reads; a mutation without the token is a 401.
  const anonymous = await request.post("/api/trpc/runs.create", { data: { json: { name: "no token" } } });
  expect(anonymous.status()).toBe(401);
  expect((await anonymous.json()).error.json.message).toBe("This action needs the admin token (FMNIST_ADMIN_TOKEN).");

  await page.goto("/runs/new");
  await fillForm(page, { name: "e2e job with token", architecture: "tiny-cnn", epochs: "2", dataset: "fixture-subset", maxTrainImages: "400" });
  await page.getByTestId("submit-run").click();
  const prompt = page.getByTestId("token-prompt");
  await expect(prompt).toContainText("This action needs the admin token (FMNIST_ADMIN_TOKEN).");
  // A wrong token: the server refuses it and the prompt comes back with its message.
  await prompt.locator("#admin-token").fill("not-the-token");
  await prompt.getByRole("button", { name: "Save token and continue" }).click();
  await expect(prompt.locator("#admin-token")).toHaveValue("");
  await expect(prompt).toContainText("needs the admin token");
  await expect(page).toHaveURL(/\/runs\/new$/);
  expect(await runCount(request)).toBe(before);
  // The right one: the run is queued, and the token is not asked for again.
  await prompt.locator("#admin-token").fill(E2E_ADMIN_TOKEN);
  await prompt.getByRole("button", { name: "Save token and continue" }).click();
  await expect(page).toHaveURL(/\/runs\/(?!new)[^/]+$/);
  expect(await page.evaluate(() => window.localStorage.getItem("fmnist-admin-token"))).toBe(E2E_ADMIN_TOKEN);
  const badge = page.getByTestId("run-name").getByTestId("status-badge");
  await expect(badge).toHaveText("queued");
  // No worker yet: Cancel on a QUEUED run is immediate.
  await page.getByTestId("cancel-run").click();
  await expect(badge).toHaveText("cancelled");
  await expect(page.getByTestId("token-prompt")).toHaveCount(0);
  // Delete it again (after a reload: the token is remembered).
  await page.reload();
  await page.getByTestId("delete-run").click();
  await page.getByTestId("confirm-delete").getByRole("button", { name: "Delete run" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("token-prompt")).toHaveCount(0);
  expect(await runCount(request)).toBe(before);
});

test("new run form -> QUEUED -> a worker takes it -> RUNNING with progress -> SUCCEEDED", async ({ page }) => {
  test.setTimeout(180_000);
  await authorize(page);
  await page.goto("/");
  await page.getByTestId("new-run-button").click();
  await expect(page).toHaveURL(/\/runs\/new$/);
  const form = page.getByTestId("new-run-form");
  // Defaults come from the schema.
  await expect(page.locator("#run-epochs")).toHaveValue("20");
  await expect(page.locator("#run-batchSize")).toHaveValue("64");
  await expect(page.locator("#run-learningRate")).toHaveValue("0.001");
  await expect(page.locator("#run-architecture")).toHaveValue("reference-cnn");
  await fillForm(page, { architecture: "tiny-cnn", epochs: "2", dataset: "fixture-subset", maxTrainImages: "400" });
  // The name follows the settings until one is typed.
  await expect(page.locator("#run-name")).toHaveValue("tiny-cnn · 2 epochs · lr 0.001 · subset");
  // The run must stay RUNNING across several 1 s polls to be seen: the reference CNN on wasm over
  // the whole subset (a few seconds), not the tiny model that native or wasm finish between polls.
  await fillForm(page, { name: "e2e job tiny-cnn", backend: "wasm", architecture: "reference-cnn", maxTrainImages: "0" });
  await page.screenshot({ path: join(SCREENSHOTS_DIR, "new-run.png"), fullPage: true });

  const submitted = Date.now();
  await form.getByTestId("submit-run").click();
  await expect(page).toHaveURL(/\/runs\/(?!new)[^/]+$/);
  const id = runIdFromUrl(page);
  await expect(page.getByTestId("run-name")).toContainText("e2e job tiny-cnn");
  // No worker yet: the run waits in the queue.
  await expect(page.getByTestId("run-name").getByTestId("status-badge")).toHaveText("queued");
  await expect(page.getByTestId("live-headline")).toContainText("waiting for a worker");
  const queuedShown = Date.now();
  const statuses = await recordStatuses(page);

  const workerStarted = Date.now();
  startWorker();
  await expect(page.getByTestId("run-name").getByTestId("status-badge")).toHaveText(/running|succeeded/, { timeout: 60_000 });
  const runningSeen = Date.now();
  await expect(page.getByTestId("run-name").getByTestId("status-badge")).toHaveText("succeeded", { timeout: 90_000 });
  const succeeded = Date.now();

  const log = await statuses();
  const order = log.map((e) => e.status).filter((s, i, all) => s !== all[i - 1]);
  expect(order).toEqual(["queued", "running", "succeeded"]);
  // Progress was on screen while it ran (epoch of epochs, from the worker's live writes).
  expect(log.some((e) => e.status === "running" && /^Training: epoch [12] of 2$/.test(e.headline ?? "")), JSON.stringify(log)).toBe(true);
  const firstRunning = log.find((e) => e.status === "running")!.t;

  // Finished: live panel gone, both epochs on the curves, a test accuracy, the exported model.
  await expect(page.getByTestId("live-progress")).toBeHidden();
  await expect(page.getByTestId("loss-chart")).toHaveAttribute("data-points", "2");
  await expect(page.getByTestId("stat-test-accuracy")).toHaveText(/\d+\.\d\d%/);
  await expect(page.getByTestId("artifacts")).toContainText("model.json");
  expect(existsSync(join(E2E_ARTIFACTS_DIR, "runs", id, "model.json"))).toBe(true);
  // A finished run can be cloned or deleted, not cancelled or retried.
  await expect(page.getByTestId("cancel-run")).toHaveCount(0);
  await expect(page.getByTestId("retry-run")).toHaveCount(0);

  console.log(
    `[jobs] tiny run ${id}: submit -> queued shown ${seconds(queuedShown - submitted)}; worker start -> RUNNING shown ${seconds(firstRunning - workerStarted)} ` +
      `(toHaveText ${seconds(runningSeen - workerStarted)}); RUNNING -> SUCCEEDED shown ${seconds(succeeded - firstRunning)}; submit -> SUCCEEDED ${seconds(succeeded - submitted)}`,
  );
});

test("Clone opens the form prefilled with a run's settings", async ({ page }) => {
  const source = byName("e2e tiny-cnn lr 0.003");
  await authorize(page);
  await page.goto(`/runs/${source.id}`);
  await page.getByTestId("clone-run").click();
  await expect(page).toHaveURL(new RegExp(`/runs/new\\?from=${source.id}$`));
  await expect(page.getByTestId("clone-source")).toContainText(source.name);
  await expect(page.locator("#run-name")).toHaveValue(`${source.name} (copy)`);
  await expect(page.locator("#run-architecture")).toHaveValue("tiny-cnn");
  await expect(page.locator("#run-epochs")).toHaveValue("3");
  await expect(page.locator("#run-learningRate")).toHaveValue("0.003");
  await expect(page.locator("#run-seed")).toHaveValue("2");
  // Trained by the CLI on the shipped subset: the recorded dataset directory maps back to it.
  await expect(page.locator("#run-dataset")).toHaveValue("fixture-subset");
});

test("Cancel a RUNNING run (run page) -> cancelling… -> CANCELLED; Retry; Cancel from the table; Delete", async ({ page, request }) => {
  test.setTimeout(240_000);
  startWorker();
  await authorize(page);
  await page.goto("/runs/new");
  // Long enough to watch: 50 epochs, no early stopping, all 2,000 subset images.
  await fillForm(page, { name: "e2e job to cancel", architecture: "mlp", epochs: "50", patience: "0", dataset: "fixture-subset", maxTrainImages: "0", backend: "wasm" });
  const submitted = Date.now();
  await page.getByTestId("submit-run").click();
  await expect(page).toHaveURL(/\/runs\/(?!new)[^/]+$/);
  const id = runIdFromUrl(page);
  const badge = page.getByTestId("run-name").getByTestId("status-badge");
  await expect(badge).toHaveText("running", { timeout: 60_000 });
  const running = Date.now();

  // Live progress: epoch and batch, images/s, ETA, a progress bar, and curves that grow.
  const live = page.getByTestId("live-progress");
  await expect(page.getByTestId("live-headline")).toHaveText(/^Training: epoch \d+ of 50$/);
  await expect(page.getByTestId("live-batch")).toHaveText(/^batch \d+\/\d+$/);
  await expect(page.getByTestId("live-speed")).toHaveText(/^[\d,]+ img\/s$/);
  await expect(page.getByTestId("live-eta")).toHaveText(/left$/);
  await expect(live.getByRole("progressbar")).toHaveAttribute("aria-valuenow", /\d+/);
  const points = async () => Number(await page.getByTestId("loss-chart").getAttribute("data-points"));
  await expect.poll(points, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  const firstPoints = await points();
  await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(firstPoints);
  await page.screenshot({ path: join(SCREENSHOTS_DIR, "run-live.png"), fullPage: true });

  const statuses = await recordStatuses(page);
  const cancelClicked = Date.now();
  await page.getByTestId("cancel-run").click();
  // The button never claims more than is true: the worker has been asked, not yet stopped.
  await Promise.all([
    expect(page.getByTestId("cancel-run")).toHaveText("Cancelling…", { timeout: 5_000 }),
    expect(page.getByTestId("cancel-run")).toBeDisabled({ timeout: 5_000 }),
    expect(badge).toHaveText("cancelled", { timeout: 30_000 }),
  ]);
  const log = await statuses();
  const cancelledAt = log.find((e) => e.status === "cancelled")!.t;
  await expect(live).toBeHidden();
  await expect(page.getByTestId("cancel-run")).toHaveCount(0);
  const byId = await (await request.get(trpcGet("runs.byId", { id }))).json();
  const run = byId.result.data.json;
  expect(run.status).toBe("CANCELLED");
  expect(run.epochsCompleted).toBeGreaterThanOrEqual(2);
  expect(run.epochsCompleted).toBeLessThan(50);
  console.log(
    `[jobs] cancel run ${id}: submit -> RUNNING shown ${seconds(running - submitted)} (worker already up); ` +
      `Cancel click -> CANCELLED shown ${seconds(cancelledAt - cancelClicked)}; ${run.epochsCompleted} of 50 epochs kept`,
  );

  // Retry: a new queued run with the same settings, linked to this one.
  await page.getByTestId("retry-run").click();
  await expect(page).toHaveURL((url) => url.pathname.startsWith("/runs/") && !url.pathname.endsWith(`/${id}`));
  const retryId = runIdFromUrl(page);
  await expect(page.getByTestId("run-name")).toContainText("e2e job to cancel (retry)");
  await expect(page.getByTestId("parent-run")).toContainText("e2e job to cancel");

  // The worker takes it at once; the experiments table shows it live and can cancel it too.
  await page.goto("/");
  const row = page.locator(`[data-testid="run-row"][data-run-id="${retryId}"]`);
  await expect(row.getByTestId("status-badge")).toHaveText("running", { timeout: 60_000 });
  await expect(page.getByTestId("live-indicator")).toBeVisible();
  await expect(row.getByTestId("row-progress")).toHaveText(/^e\d+\/50 b\d+\/\d+ · [\d,]+ img\/s · .+ left$/, { timeout: 30_000 });
  await row.getByTestId("cancel-run").click();
  await expect(row.getByTestId("cancel-run")).toHaveText("Cancelling…");
  await expect(row.getByTestId("status-badge")).toHaveText("cancelled", { timeout: 30_000 });
  await expect(row.getByTestId("cancel-run")).toHaveCount(0);
  await expect(page.getByTestId("live-indicator")).toBeHidden();

  // Delete, after a confirmation: gone from the table and from the API.
  await page.goto(`/runs/${retryId}`);
  await page.getByTestId("delete-run").click();
  await expect(page.getByTestId("confirm-delete")).toBeVisible();
  await page.getByTestId("confirm-delete").getByRole("button", { name: "Keep it" }).click();
  await expect(page.getByTestId("confirm-delete")).toBeHidden();
  await page.getByTestId("delete-run").click();
  await page.getByTestId("confirm-delete").getByRole("button", { name: "Delete run" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator(`[data-testid="run-row"][data-run-id="${retryId}"]`)).toHaveCount(0);
  await expect(page.locator(`[data-testid="run-row"][data-run-id="${id}"]`)).toHaveCount(1);
  expect((await request.get(trpcGet("runs.byId", { id: retryId }))).status()).toBe(404);
});

test("bad values: field errors next to the fields, nothing created (form and HTTP API)", async ({ page, request }) => {
  test.setTimeout(120_000);
  const before = await runCount(request);
  await authorize(page);
  await page.goto("/runs/new");
  await fillForm(page, { epochs: "-1", batchSize: "0", learningRate: "abc" });
  // A 10 MB name, pasted: set through the input's own value setter so React sees an input event.
  await page.locator("#run-name").evaluate((el: HTMLInputElement, size) => {
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!;
    setter.call(el, "n".repeat(size));
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, 10 * 1024 * 1024);
  await page.getByTestId("submit-run").click();
  await expect(page.getByTestId("error-epochs")).toHaveText("at least 1 epoch");
  await expect(page.getByTestId("error-batchSize")).toHaveText("batch size must be at least 1");
  await expect(page.getByTestId("error-learningRate")).toHaveText("enter a number");
  await expect(page.getByTestId("error-name")).toHaveText("name is at most 200 characters");
  await expect(page.getByTestId("form-invalid")).toHaveText("Fix the 4 fields marked above.");
  await expect(page.locator("#run-epochs")).toHaveAttribute("aria-invalid", "true");
  // Fields without a problem show no error.
  await expect(page.getByTestId("error-seed")).toHaveCount(0);
  await expect(page).toHaveURL(/\/runs\/new$/);
  await page.screenshot({ path: join(SCREENSHOTS_DIR, "new-run-errors.png") });

  // Errors follow the edits once shown.
  await fillForm(page, { epochs: "3" });
  await expect(page.getByTestId("error-epochs")).toHaveCount(0);
  await expect(page.getByTestId("form-invalid")).toHaveText("Fix the 3 fields marked above.");

  // The API refuses the same values on its own, with the field errors the form maps back.
  // (A name one character too long: a 10 MB body is now refused whole, below.)
  const res = await request.post("/api/trpc/runs.create", {
    headers: bearer,
    data: { json: { name: "n".repeat(201), architecture: "resnet", epochs: -1, batchSize: 0, learningRate: "abc" } },
  });
  expect(res.status()).toBe(400);
  const body = await res.json();
  expect(Object.keys(body.error.json.data.zodError.fieldErrors).sort()).toEqual(["architecture", "batchSize", "epochs", "learningRate", "name"]);
  // A 10 MB body is over the request size limit (packages/api/src/http.ts): 413 before it is parsed.
  const huge = await request.post("/api/trpc/runs.create", {
    headers: bearer,
    data: { json: { name: "n".repeat(10 * 1024 * 1024), architecture: "resnet", epochs: -1, batchSize: 0, learningRate: "abc" } },
  });
  expect(huge.status()).toBe(413);
  expect(await runCount(request)).toBe(before);
});
