import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DEBIAN_DIR, FIXTURE_DIR, gather, hasAllFiles, readDataset, stratifiedSplit } from "@fmnist/data";
import { createDb } from "@fmnist/db/client";
import { CLASS_NAMES_EN } from "@fmnist/model/classes";
import { expect, type Page, test } from "@playwright/test";
import { E2E_ARTIFACTS_DIR, E2E_DATABASE_URL, SCREENSHOTS_DIR } from "./paths";
import { byName, e2eRuns } from "./runs";

// Exploring the data and the errors: the dataset page, hard examples across runs, the embedding
// map. Expected values are computed here from the IDX files and the database, not by the app.

const fixture = readDataset(FIXTURE_DIR);
const perClass = (labels: ArrayLike<number>) => {
  const out = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) out[labels[i]]++;
  return out;
};
const fullAvailable = hasAllFiles(DEBIAN_DIR) || Boolean(process.env.FASHION_MNIST_DIR);

async function columnCounts(page: Page, testId: string): Promise<number[]> {
  const cells = page.getByTestId("class-counts").getByTestId(testId);
  await expect(cells).toHaveCount(10);
  return (await cells.allTextContents()).map((t) => Number(t.replace(/,/g, "")));
}

/** Whether a CSS background sprite of the page decoded to an image of the expected size. */
async function spriteSize(page: Page, selector: string): Promise<[number, number]> {
  return page.locator(selector).first().evaluate(async (el) => {
    const url = getComputedStyle(el).backgroundImage.replace(/^url\("?|"?\)$/g, "");
    const img = new Image();
    img.src = url;
    await img.decode();
    return [img.naturalWidth, img.naturalHeight] as [number, number];
  });
}

test.describe("dataset page", () => {
  test("the fixture: counts per class, sample grid, mean and spread, any image by index", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("navigation").getByRole("link", { name: "Dataset" }).click();
    await expect(page).toHaveURL(/\/dataset$/);
    await page.goto("/dataset?source=fixture");
    await expect(page.getByTestId("dataset")).toHaveAttribute("data-ready-ms", /\d+/, { timeout: 30_000 });
    expect(await columnCounts(page, "train-count")).toEqual(perClass(fixture.train.labels));
    expect(await columnCounts(page, "test-count")).toEqual(perClass(fixture.test.labels));
    expect(perClass(fixture.test.labels)).toEqual(new Array(10).fill(50));
    // Both names of every class.
    await expect(page.getByTestId("class-row-6")).toContainText("Shirt");
    await expect(page.getByTestId("class-row-6")).toContainText("衬衫");

    // The grid is one sprite: 10 columns of samples x 10 classes, 28 px each; cells are in file order.
    await expect(page.getByTestId("sample-grid").locator(".sprite-cell")).toHaveCount(100);
    expect(await spriteSize(page, "[data-testid=sample-grid] .sprite-cell")).toEqual([280, 280]);
    const firstOfClass3 = [...fixture.train.labels].indexOf(3);
    await expect(page.getByTestId("sample-grid").locator(".sample-row").nth(3).locator(".sprite-cell").first()).toHaveAttribute("data-index", String(firstOfClass3));
    await expect(page.getByTestId("mean-cell")).toHaveCount(10);
    expect(await spriteSize(page, "[data-testid=mean-cell]")).toEqual([280, 28]);
    await expect(page.getByTestId("histogram").locator("canvas")).toHaveCount(1);

    // Image by index: test image 42, its true class, and the link that classifies it.
    const label42 = fixture.test.labels[42];
    await expect(page.getByTestId("indexed-label")).toContainText(CLASS_NAMES_EN[label42]);
    await expect(page.getByTestId("classify-link")).toHaveAttribute("href", "/classify?test=42");
    await page.getByLabel("Image index").fill("500");
    await expect(page.getByText("The test set has images 0 to 499.")).toBeVisible();
    console.log(`[dataset page] fixture ready ${await page.getByTestId("dataset").getAttribute("data-ready-ms")} ms after navigation`);
  });

  test("a run's train / validation split per class is the trainer's stratified split", async ({ page }) => {
    const r = byName("e2e tiny-cnn lr 0.003");
    const db = createDb(E2E_DATABASE_URL);
    const row = await db.run.findUniqueOrThrow({ where: { id: r.id }, select: { config: true, seed: true } }).finally(() => db.$disconnect());
    const config = row.config as { validationSplit: number; seed: number };
    const split = stratifiedSplit(fixture.train.labels, config.validationSplit, config.seed);
    await page.goto(`/dataset?run=${r.id}`);
    expect(await columnCounts(page, "fit-count")).toEqual(perClass(gather(fixture.train.images, fixture.train.labels, split.train).labels));
    expect(await columnCounts(page, "val-count")).toEqual(perClass(gather(fixture.train.images, fixture.train.labels, split.validation).labels));
  });

  test("the full dataset: 6,000 / 1,000 per class", async ({ page }) => {
    test.skip(!fullAvailable, "the full Fashion-MNIST dataset is not installed here");
    test.setTimeout(120_000);
    await page.goto("/dataset");
    await expect(page.getByTestId("dataset")).toHaveAttribute("data-ready-ms", /\d+/, { timeout: 60_000 });
    console.log(`[dataset page] full dataset ready ${await page.getByTestId("dataset").getAttribute("data-ready-ms")} ms after navigation (first view since the server started, unless an earlier spec read it)`);
    expect(await columnCounts(page, "train-count")).toEqual(new Array(10).fill(6000));
    expect(await columnCounts(page, "test-count")).toEqual(new Array(10).fill(1000));
    await page.getByRole("button", { name: "Test", exact: true }).click();
    await expect(page.getByTestId("sample-grid")).toHaveAttribute("data-set", "test");
    expect(await spriteSize(page, "[data-testid=sample-grid] .sprite-cell")).toEqual([280, 280]);
    await page.goto("/dataset");
    await expect(page.getByTestId("dataset")).toHaveAttribute("data-ready-ms", /\d+/, { timeout: 60_000 });
    console.log(`[dataset page] full dataset ready ${await page.getByTestId("dataset").getAttribute("data-ready-ms")} ms after navigation (warm server)`);
    await page.screenshot({ path: join(SCREENSHOTS_DIR, "dataset.png"), fullPage: true });
  });

  test("sprites are cached by ETag, and bad requests get clear 4xx answers", async ({ request }) => {
    const url = "/api/dataset/sprite/samples?source=fixture&set=test&per=5";
    const first = await request.get(url);
    expect(first.status()).toBe(200);
    expect(first.headers()["content-type"]).toBe("image/png");
    const etag = first.headers().etag;
    expect(etag).toBeTruthy();
    expect((await request.get(url, { headers: { "if-none-match": etag } })).status()).toBe(304);
    const image = await request.get("/api/dataset/sprite/image?source=fixture&set=test&index=42");
    expect(image.headers()["x-label"]).toBe(String(fixture.test.labels[42]));

    const bad: [string, number, RegExp][] = [
      ["/api/dataset/sprite/samples?source=fixture&per=0", 400, /per must be/],
      ["/api/dataset/sprite/samples?source=fixture&per=31", 400, /per must be/],
      ["/api/dataset/sprite/samples?source=fixture&set=validation", 400, /set must be/],
      ["/api/dataset/sprite/thumbnail?source=fixture", 404, /no sprite named/],
      ["/api/dataset/sprite/image?source=fixture&index=-1", 400, /index must be/],
      ["/api/dataset/sprite/image?source=fixture&index=2000", 404, /out of range: the train set has 2000/],
      ["/api/dataset/sprite/image?source=fixture&set=test&index=500", 404, /out of range: the test set has 500/],
      ["/api/dataset/summary?source=elsewhere", 400, /source must be/],
      ["/api/dataset/summary?run=nosuchrun000000", 404, /No run with id/],
    ];
    for (const [path, status, message] of bad) {
      const res = await request.get(path);
      expect(res.status(), path).toBe(status);
      expect((await res.json()).error, path).toMatch(message);
    }
  });
});

test.describe("classify ?test=N", () => {
  test("classifies test image 42 of the model's test set and shows its true class", async ({ page }) => {
    const r = byName("e2e tiny-cnn");
    await page.goto(`/classify?run=${r.id}&test=42`);
    const truth = page.getByTestId("true-class");
    await expect(truth).toHaveAttribute("data-label", String(fixture.test.labels[42]), { timeout: 60_000 });
    await expect(truth).toContainText(CLASS_NAMES_EN[fixture.test.labels[42]]);
    await expect(page.getByTestId("result-panel")).toContainText("test image #42");
  });

  test("a bad ?test is named, not ignored", async ({ page }) => {
    await page.goto(`/classify?run=${byName("e2e tiny-cnn").id}&test=abc`);
    await expect(page.getByTestId("classify-error")).toContainText("?test=abc is not a test image index");
  });
});

/** From the database: how many of the runs' evaluations have each test image among their mistakes. */
async function expectedHardExamples(runIds: string[], pair?: { trueLabel: number; predLabel: number }) {
  const db = createDb(E2E_DATABASE_URL);
  try {
    const rows = await db.misclassified.findMany({
      where: { evaluation: { runId: { in: runIds } }, ...(pair ?? {}) },
      select: { testIndex: true },
    });
    const counts = new Map<number, number>();
    for (const r of rows) counts.set(r.testIndex, (counts.get(r.testIndex) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  } finally {
    await db.$disconnect();
  }
}

test.describe("hard examples across runs", () => {
  test("lists the test images by how many runs got them wrong, with exact counts", async ({ page }) => {
    const runs = e2eRuns().filter((r) => r.status === "SUCCEEDED");
    const expected = await expectedHardExamples(runs.map((r) => r.id));
    await page.goto("/");
    await page.getByRole("navigation").getByRole("link", { name: "Hard examples" }).click();
    await expect(page).toHaveURL(/\/hard-examples$/);
    const tiles = page.getByTestId("hard-tile");
    await expect(tiles.first()).toBeVisible();
    // No full-dataset run in the e2e database: the fixture runs, and the page says why.
    await expect(page.getByTestId("run-selection")).toHaveText(`default: no run on the full test set yet, so every succeeded run on the latest run's test set (${runs.length})`);
    await expect(page.getByTestId("hard-count")).toHaveText(`${Math.min(48, expected.length)} of ${expected.length.toLocaleString("en")} images`);
    const shown = await tiles.evaluateAll((els) => els.map((e) => [Number(e.getAttribute("data-index")), Number(e.getAttribute("data-wrong"))]));
    expect(shown).toEqual(expected.slice(0, 48));
    await expect(tiles.first().getByTestId("wrong-runs")).toContainText(`wrong in ${expected[0][1]} of ${runs.length} runs`);
    const everyRun = expected.filter(([, n]) => n === runs.length).length;
    await expect(page.getByTestId("all-wrong-count")).toHaveText(String(everyRun));
    await page.getByRole("button", { name: "Wrong in every run" }).click();
    await expect(page.getByTestId("hard-count")).toHaveText(`${Math.min(48, everyRun)} of ${everyRun} images`);
    await page.screenshot({ path: join(SCREENSHOTS_DIR, "hard-examples.png"), fullPage: true });

    const top = expected.slice(0, 5).map(([i, n]) => `#${i} (${CLASS_NAMES_EN[fixture.test.labels[i]]}) wrong in ${n}/${runs.length}`);
    console.log(`[hard examples] top 5 in the e2e database: ${top.join("; ")}`);
  });

  test("a confusion-matrix cell on the run page links to the same pair across runs", async ({ page }) => {
    const r = byName("e2e mlp");
    // The run's largest off-diagonal cell.
    let best = { t: 0, p: 1, n: -1 };
    r.confusionMatrix.forEach((row, t) => {
      row.forEach((n, p) => {
        if (t !== p && n > best.n) best = { t, p, n };
      });
    });
    await page.goto(`/runs/${r.id}`);
    await page.getByTestId(`cm-cell-${best.t}-${best.p}`).click();
    const link = page.getByTestId("pair-across-runs");
    await expect(link).toHaveText(`${CLASS_NAMES_EN[best.t]} → ${CLASS_NAMES_EN[best.p]} across runs`);
    await link.click();
    await expect(page).toHaveURL(new RegExp(`/hard-examples\\?like=${r.id}&true=${best.t}&pred=${best.p}$`));
    const expected = await expectedHardExamples(
      e2eRuns().filter((x) => x.status === "SUCCEEDED").map((x) => x.id),
      { trueLabel: best.t, predLabel: best.p },
    );
    await expect(page.getByTestId("hard-count")).toHaveText(`${Math.min(48, expected.length)} of ${expected.length} images`);
    const tiles = page.getByTestId("hard-tile");
    expect(await tiles.evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-index"))))).toEqual(expected.slice(0, 48).map(([i]) => i));
  });
});

test.describe("embedding map", () => {
  test("draws every test image, a click shows that image, a matrix cell highlights its points", async ({ page }) => {
    test.setTimeout(120_000);
    const r = byName("e2e tiny-cnn lr 0.003");
    await page.goto(`/runs/${r.id}`);
    await page.getByRole("link", { name: "embedding map" }).click();
    await expect(page).toHaveURL(new RegExp(`/runs/${r.id}/embedding$`));
    const chart = page.getByTestId("embedding-chart");
    await expect(chart).toHaveAttribute("data-points", "500", { timeout: 60_000 });
    await expect(chart).toHaveAttribute("data-projection", "umap", { timeout: 60_000 });

    // A point with no other within 8 px, so the click can only hit it.
    const pick = await page.evaluate(() => {
      const hook = window.__fmnistEmbedding!;
      const pts = Array.from({ length: 500 }, (_, i) => hook.pixelOf(i)!);
      for (let i = 0; i < pts.length; i++) {
        const near = pts.some((q, j) => j !== i && Math.hypot(q[0] - pts[i][0], q[1] - pts[i][1]) < 8);
        if (!near) return { i, x: pts[i][0], y: pts[i][1] };
      }
      return null;
    });
    expect(pick).not.toBeNull();
    const box = (await chart.locator("canvas").first().boundingBox())!;
    await page.mouse.click(box.x + pick!.x, box.y + pick!.y);
    await expect(page.getByTestId("selected-index")).toHaveText(`test image #${pick!.i}`);
    await expect(page.getByTestId("selected-true")).toHaveAttribute("data-label", String(fixture.test.labels[pick!.i]));
    await expect(page.getByTestId("selected-image")).toHaveAttribute("src", `/api/dataset/test-images/${pick!.i}?run=${encodeURIComponent(r.id)}`);

    // The browser's confusion matrix is the trainer's; a cell's points are that pair's mistakes.
    let best = { t: 0, p: 1, n: -1 };
    r.confusionMatrix.forEach((row, t) => {
      row.forEach((n, p) => {
        if (t !== p && n > best.n) best = { t, p, n };
      });
    });
    await expect(page.getByTestId(`embedding-cm-cell-${best.t}-${best.p}`)).toHaveText(String(best.n));
    await page.getByTestId(`embedding-cm-cell-${best.t}-${best.p}`).click();
    const db = createDb(E2E_DATABASE_URL);
    const rows = await db.misclassified
      .findMany({ where: { evaluation: { runId: r.id }, trueLabel: best.t, predLabel: best.p }, select: { testIndex: true }, orderBy: { testIndex: "asc" } })
      .finally(() => db.$disconnect());
    await expect.poll(() => page.evaluate(() => window.__fmnistEmbedding?.highlighted ?? [])).toEqual(rows.map((x) => x.testIndex));
    await page.screenshot({ path: join(SCREENSHOTS_DIR, "embedding.png"), fullPage: true });
  });

  test("10,000 points: PCA and UMAP times in headless Chromium", async ({ page }) => {
    test.skip(!fullAvailable, "the full Fashion-MNIST dataset is not installed here");
    test.setTimeout(240_000);
    // A run row that reads the full test set with the fixture-trained model's files: the map's cost
    // depends on the number of points, not on how the model was trained. Removed afterwards.
    const source = byName("e2e tiny-cnn lr 0.003");
    const db = createDb(E2E_DATABASE_URL);
    const orig = await db.run.findUniqueOrThrow({ where: { id: source.id }, include: { artifacts: true } });
    const config = { ...(orig.config as object), dataset: { dir: process.env.FASHION_MNIST_DIR || DEBIAN_DIR, source: "debian", subset: null } };
    const copy = await db.run.create({
      data: {
        name: "e2e embedding 10k (temporary)",
        architecture: orig.architecture,
        config,
        seed: orig.seed,
        status: "CANCELLED",
        epochsPlanned: orig.epochsPlanned,
        artifacts: { create: orig.artifacts.map((a) => ({ kind: a.kind, path: a.path, sizeBytes: a.sizeBytes })) },
      },
    });
    const copyDir = join(E2E_ARTIFACTS_DIR, "runs", copy.id);
    cpSync(join(E2E_ARTIFACTS_DIR, "runs", source.id), copyDir, { recursive: true });
    try {
      await page.goto(`/runs/${copy.id}/embedding`);
      const chart = page.getByTestId("embedding-chart");
      await expect(chart).toHaveAttribute("data-points", "10000", { timeout: 120_000 });
      // The neighbour search runs first (one step, no bar), then the layout epochs with a bar.
      await expect(page.getByTestId("embedding-status")).toContainText("UMAP", { timeout: 60_000 });
      await expect(page.getByTestId("embedding-progress")).toBeVisible({ timeout: 120_000 });
      await expect(page.getByTestId("embedding-status")).toContainText(/UMAP: optimising the layout \d+ \/ \d+/);
      await expect(chart).toHaveAttribute("data-projection", "umap", { timeout: 180_000 });
      const pcaMs = Number(await chart.getAttribute("data-pca-ms"));
      const umapMs = Number(await chart.getAttribute("data-umap-ms"));
      console.log(`[embedding] 10,000 points: ${await page.getByTestId("embedding-times").textContent()}`);
      expect(pcaMs).toBeGreaterThan(0);
      expect(umapMs).toBeGreaterThan(0);
    } finally {
      await db.run.delete({ where: { id: copy.id } });
      rmSync(copyDir, { recursive: true, force: true });
      await db.$disconnect();
    }
  });
});
