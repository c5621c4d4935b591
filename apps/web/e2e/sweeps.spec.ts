// Sweeps from the dashboard, end to end with a real worker process: the new-sweep form refuses bad
// ranges with field errors and creates nothing, a sweep's trials appear and finish live, pruned
// trials are marked, the parallel-coordinates plot and importance draw real values, the best trial
// opens, and a running sweep is cancelled. Runs after jobs.spec.ts (name order); every trial it
// queues has ended when it finishes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type APIRequestContext, expect, type Page, test } from "@playwright/test";
import { E2E_ADMIN_TOKEN, SCREENSHOTS_DIR } from "./paths";
import { type E2EWorker, startE2EWorker } from "./worker";

test.describe.configure({ mode: "serial" });

let worker: E2EWorker | undefined;
const bearer = { authorization: `Bearer ${E2E_ADMIN_TOKEN}` };
const authorize = (page: Page) => page.addInitScript((token) => window.localStorage.setItem("fmnist-admin-token", token), E2E_ADMIN_TOKEN);

test.afterAll(async () => {
  if (!worker) return;
  if (worker.child.exitCode === null) {
    worker.child.kill("SIGTERM");
    const code = await Promise.race([worker.exited, new Promise((r) => setTimeout(() => r("timeout"), 20_000))]);
    if (code === "timeout") worker.child.kill("SIGKILL");
  }
  const dir = resolve(import.meta.dirname, "../test-results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "sweeps-worker.log"), worker.output());
});

async function sweeps(request: APIRequestContext) {
  const res = await request.get("/api/trpc/sweeps.list");
  expect(res.status()).toBe(200);
  return (await res.json()).result.data.json as { total: number; items: { id: string; name: string; status: string }[] };
}
async function sweepById(request: APIRequestContext, id: string) {
  const res = await request.get(`/api/trpc/sweeps.byId?input=${encodeURIComponent(JSON.stringify({ json: { id } }))}`);
  expect(res.status()).toBe(200);
  return (await res.json()).result.data.json as { status: string; trials: { status: string; params: Record<string, number>; objective: number | null }[]; importance: { key: string; importance: number }[] };
}

/** How many pixels of a chart's canvas are not background: a drawn chart has many. */
async function inkedPixels(page: Page, testId: string): Promise<number> {
  return page.getByTestId(testId).evaluate((el) => {
    const canvas = el.querySelector("canvas");
    if (!canvas) return 0;
    const ctx = canvas.getContext("2d");
    if (!ctx) return 0;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) n++;
    return n;
  });
}

test("the form refuses bad ranges with field errors and creates nothing", async ({ page, request }) => {
  await authorize(page);
  const before = (await sweeps(request)).total;
  await page.goto("/sweeps/new");
  await page.locator('input[name="name"]').fill("e2e bad");
  const row = page.getByTestId("space-row-0");
  await row.getByLabel("min").fill("0.01");
  await row.getByLabel("max").fill("0.001");
  await page.getByTestId("space-row-1").getByLabel("scale").selectOption("log");
  await page.getByTestId("space-row-1").getByLabel("min").fill("0");
  await page.locator('input[name="trialBudget"]').fill("999");
  await page.getByTestId("start-sweep").click();
  await expect(page.getByTestId("error-space.learningRate")).toContainText("the range is empty or inverted");
  await expect(page.getByTestId("error-space.dropout")).toContainText("a log range must be above zero");
  await expect(page.getByTestId("error-trialBudget")).toContainText("at most 200");
  await page.screenshot({ path: join(SCREENSHOTS_DIR, "new-sweep-errors.png"), fullPage: true });
  expect((await sweeps(request)).total).toBe(before);
  // The API refuses the same definition with the same message, and stores nothing either.
  const res = await request.post("/api/trpc/sweeps.create", {
    headers: bearer,
    data: { json: { name: "api bad", trialBudget: 4, space: { dropout: { type: "range", min: 0.5, max: 0.1 } } } },
  });
  expect(res.status()).toBe(400);
  expect(JSON.stringify(await res.json())).toContain("dropout: the range is empty or inverted");
  expect((await sweeps(request)).total).toBe(before);
});

test("a sweep from the form: trials appear and finish live, pruned ones marked, charts with real values, best trial opens", async ({ page, request }) => {
  test.setTimeout(240_000);
  await authorize(page);
  await page.goto("/sweeps/new");
  await page.locator('input[name="name"]').fill("e2e lr sweep");
  await page.locator('input[name="trialBudget"]').fill("6");
  await page.locator('input[name="maxConcurrent"]').fill("2");
  await page.locator('input[name="seed"]').fill("3");
  await page.locator('input[name="epochs"]').fill("4");
  await page.locator('input[name="maxTrainImages"]').fill("600");
  await page.locator('input[name="reductionFactor"]').fill("2");
  const row = page.getByTestId("space-row-0");
  await row.getByLabel("min").fill("0.00005");
  await row.getByLabel("max").fill("0.3");
  await page.screenshot({ path: join(SCREENSHOTS_DIR, "new-sweep.png"), fullPage: true });
  await page.getByTestId("start-sweep").click();
  await page.waitForURL(/\/sweeps\/(?!new$)[^/]+$/);
  const id = page.url().split("/").pop()!;
  await expect(page.getByTestId("sweep-name")).toContainText("e2e lr sweep");
  // Queued as ordinary runs before any worker runs: two at once.
  await expect(page.getByTestId("trials-table").locator("tbody tr")).toHaveCount(2);
  await expect(page.getByTestId("trial-0")).toHaveAttribute("data-status", "QUEUED");

  worker = startE2EWorker("e2e-sweep-worker");
  await expect(page.getByTestId("trials-table").locator("tbody tr")).toHaveCount(6, { timeout: 180_000 });
  await expect(page.getByTestId("sweep-name").getByTestId("status-badge")).toHaveText("finished", { timeout: 180_000 });
  const data = await sweepById(request, id);
  expect(data.status).toBe("FINISHED");
  expect(data.trials.every((t) => t.status === "SUCCEEDED" || t.status === "PRUNED")).toBe(true);
  const pruned = data.trials.filter((t) => t.status === "PRUNED").length;
  expect(pruned).toBeGreaterThan(0);
  await expect(page.locator('[data-status="PRUNED"] [data-testid="status-badge"]')).toHaveCount(pruned);
  await expect(page.locator('[data-status="PRUNED"] [data-testid="status-badge"]').first()).toHaveText("pruned");

  // Charts drawn from the trials' values (ECharts on a canvas): ink on the canvas, and the
  // importance list shows the value the API computed.
  await expect.poll(() => inkedPixels(page, "parallel-plot")).toBeGreaterThan(2000);
  await expect.poll(() => inkedPixels(page, "importance-chart")).toBeGreaterThan(500);
  await expect.poll(() => inkedPixels(page, "objective-chart")).toBeGreaterThan(1000);
  const lrImportance = data.importance.find((r) => r.key === "learningRate")!;
  await expect(page.getByTestId("importance-values")).toContainText(`learningRate: ${lrImportance.importance.toFixed(2)}`);
  await page.screenshot({ path: join(SCREENSHOTS_DIR, "sweep.png"), fullPage: true });

  // The best trial: open it; its run page links back to the sweep.
  await page.getByTestId("open-best").click();
  await page.waitForURL(/\/runs\//);
  await expect(page.getByTestId("sweep-link")).toContainText("its sweep");
  await page.getByTestId("sweep-link").getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`/sweeps/${id}$`));

  await page.goto("/sweeps");
  await expect(page.getByTestId("sweeps-table")).toContainText("e2e lr sweep");
  await page.screenshot({ path: join(SCREENSHOTS_DIR, "sweeps.png"), fullPage: true });
});

test("cancelling a running sweep cancels its queued and running trials", async ({ page, request }) => {
  test.setTimeout(120_000);
  await authorize(page);
  // Slower trials (more epochs on more images) so one is surely running when we cancel.
  const res = await request.post("/api/trpc/sweeps.create", {
    headers: bearer,
    data: {
      json: {
        name: "e2e to cancel",
        trialBudget: 10,
        maxConcurrent: 2,
        base: { architecture: "mlp", epochs: 30, dataset: "fixture-subset", patience: 0 },
        space: { dropout: { type: "range", min: 0.1, max: 0.5 } },
      },
    },
  });
  expect(res.status()).toBe(200);
  const id = (await res.json()).result.data.json.id as string;
  await page.goto(`/sweeps/${id}`);
  if (!worker || worker.child.exitCode !== null) worker = startE2EWorker("e2e-sweep-worker");
  await expect(page.locator('[data-status="RUNNING"]')).toHaveCount(1, { timeout: 60_000 });
  await page.getByTestId("cancel-sweep").click();
  await expect(page.getByTestId("sweep-name").getByTestId("status-badge")).toHaveText("cancelled");
  await expect
    .poll(async () => (await sweepById(request, id)).trials.map((t) => t.status).sort(), { timeout: 60_000 })
    .toEqual(["CANCELLED", "CANCELLED"]);
  await expect(page.getByTestId("cancel-sweep")).toHaveCount(0);
});
