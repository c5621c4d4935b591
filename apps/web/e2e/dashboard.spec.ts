import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { SCREENSHOTS_DIR } from "./paths";
import { byName, e2eRuns } from "./runs";

const pct = (x: number | null) => (x == null ? "—" : `${(x * 100).toFixed(1)}%`);

test.describe("experiments page", () => {
  test("lists every run with its real values; sorts, filters and searches", async ({ page }) => {
    const runs = e2eRuns();
    await page.goto("/");
    const rows = page.getByTestId("run-row");
    await expect(rows).toHaveCount(runs.length);
    for (const run of runs) {
      const row = page.locator(`[data-testid="run-row"][data-run-id="${run.id}"]`);
      await expect(row.getByRole("link", { name: run.name })).toBeVisible();
      await expect(row.getByTestId("status-badge")).toHaveText("succeeded");
      await expect(row.getByTestId("test-accuracy")).toHaveText(pct(run.testAccuracy));
    }
    // Two runs ticked, ready to compare.
    await page.getByLabel(`Select ${runs[0].name}`, { exact: true }).check();
    await page.getByLabel(`Select ${runs[1].name}`, { exact: true }).check();
    await expect(page.getByTestId("compare-button")).toHaveText("Compare 2 runs");
    await page.screenshot({ path: join(SCREENSHOTS_DIR, "experiments.png"), fullPage: true });

    // Sort by test accuracy: best first, then reversed.
    await page.getByTestId("sort-testAccuracy").click();
    await expect(page).toHaveURL(/sort=testAccuracy&dir=desc/);
    const best = [...runs].sort((a, b) => (b.testAccuracy ?? 0) - (a.testAccuracy ?? 0));
    await expect(rows.first()).toHaveAttribute("data-run-id", best[0].id);
    await page.getByTestId("sort-testAccuracy").click();
    await expect(rows.first()).toHaveAttribute("data-run-id", best[best.length - 1].id);

    // Filter by architecture, then search by name.
    await page.getByLabel("Architecture").selectOption("mlp");
    await expect(rows).toHaveCount(runs.filter((r) => r.architecture === "mlp").length);
    await page.getByLabel("Architecture").selectOption("");
    await page.getByLabel("Search run names").fill("lr 0.003");
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute("data-run-id", byName("e2e tiny-cnn lr 0.003").id);
    await page.getByLabel("Search run names").fill("no such run");
    await expect(page.getByText("No runs match these filters.")).toBeVisible();
  });

  test("selecting two runs opens the compare page", async ({ page }) => {
    const a = byName("e2e tiny-cnn");
    const b = byName("e2e tiny-cnn lr 0.003");
    await page.goto("/");
    await page.getByLabel(`Select ${a.name}`, { exact: true }).check();
    await page.getByLabel(`Select ${b.name}`, { exact: true }).check();
    await page.getByTestId("compare-button").click();
    await expect(page).toHaveURL(new RegExp(`/compare\\?ids=${a.id},${b.id}`));
    await expect(page.getByTestId("compare-run")).toHaveCount(2);
  });
});

test.describe("run page", () => {
  test("shows the stored confusion matrix, report, curves, gallery and model download", async ({ page, request }) => {
    const run = byName("e2e tiny-cnn lr 0.003");
    await page.goto("/");
    await page.getByRole("link", { name: run.name }).click();
    await expect(page).toHaveURL(`/runs/${run.id}`);
    await expect(page.getByTestId("run-name")).toContainText(run.name);

    // Every heatmap cell shows the count stored in the database.
    const cm = run.confusionMatrix;
    for (let t = 0; t < 10; t++) {
      for (let p = 0; p < 10; p++) await expect(page.getByTestId(`cm-cell-${t}-${p}`)).toHaveText(String(cm[t][p]));
    }
    const total = cm.flat().reduce((s, v) => s + v, 0);
    const correct = cm.reduce((s, row, i) => s + row[i], 0);
    await expect(page.getByTestId("stat-test-accuracy")).toHaveText(`${((correct / total) * 100).toFixed(2)}%`);

    await expect(page.getByTestId("loss-chart").locator(".recharts-line")).toHaveCount(2);
    await expect(page.getByTestId("report-table").locator("tbody tr")).toHaveCount(13);
    await expect(page.getByTestId("config-table")).toContainText("0.003");

    // Misclassified images are the real 28x28 test pictures.
    const tiles = page.getByTestId("misclassified-tile");
    await expect(tiles.first()).toBeVisible();
    await expect(page.getByTestId("misclassified-count")).toContainText(`of ${run.misclassified} shown`);
    const img = tiles.first().locator("img");
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(28);

    await page.screenshot({ path: join(SCREENSHOTS_DIR, "run.png"), fullPage: true });

    // Row-normalised values and Chinese class names.
    await page.getByRole("button", { name: "Row %" }).click();
    const row0 = cm[0].reduce((s, v) => s + v, 0);
    const f = cm[0][0] / row0;
    await expect(page.getByTestId("cm-cell-0-0")).toHaveText((f * 100).toFixed(f < 0.1 ? 1 : 0));
    await page.getByRole("button", { name: "中文" }).first().click();
    await expect(page.getByTestId("cm-matrix").getByRole("rowheader").first()).toHaveText("T恤/上衣");
    await page.getByRole("button", { name: "EN" }).first().click();

    // Clicking a confusion filters the gallery to that pair.
    let pair: [number, number] | null = null;
    for (let t = 0; t < 10 && !pair; t++) for (let p = 0; p < 10 && !pair; p++) if (t !== p && cm[t][p] > 0) pair = [t, p];
    if (pair) {
      await page.getByTestId(`cm-cell-${pair[0]}-${pair[1]}`).click();
      await expect(page.getByTestId("misclassified-count")).toContainText(`of ${cm[pair[0]][pair[1]]} shown`);
    }

    // The exported model downloads, and model.json points at its weights beside it.
    const modelLink = page.getByTestId("artifacts").getByRole("link", { name: /model\.json/ });
    const href = await modelLink.getAttribute("href");
    const res = await request.get(href!);
    expect(res.status()).toBe(200);
    expect(res.headers()["content-disposition"]).toContain("attachment");
    const model = await res.json();
    expect(model.weightsManifest[0].paths).toEqual(["weights.bin"]);
    const weights = await request.get(`/api/artifacts/${run.id}/weights.bin`);
    expect(weights.status()).toBe(200);
    expect((await weights.body()).length).toBeGreaterThan(1000);
  });

  test("an unknown run id says so", async ({ page }) => {
    await page.goto("/runs/does-not-exist");
    await expect(page.getByRole("heading", { name: "Run not found" })).toBeVisible();
  });
});

test.describe("compare page", () => {
  test("shows curves, parameters, matrices and the difference matrix with real deltas", async ({ page }) => {
    const a = byName("e2e tiny-cnn");
    const b = byName("e2e tiny-cnn lr 0.003");
    const c = byName("e2e mlp");
    await page.goto(`/compare?ids=${a.id},${b.id},${c.id}`);
    await expect(page.getByTestId("compare-run")).toHaveCount(3);
    await expect(page.getByTestId("compare-loss-chart").locator(".recharts-line")).toHaveCount(6);

    // Differing parameters are highlighted; shared ones are not.
    await expect(page.getByTestId("param-learningRate")).toHaveAttribute("data-differs", "true");
    await expect(page.getByTestId("param-architecture")).toHaveAttribute("data-differs", "true");
    await expect(page.getByTestId("param-batchSize")).toHaveAttribute("data-differs", "false");

    // Side-by-side matrices show each run's stored counts.
    await expect(page.getByTestId("cm2-cell-3-3")).toHaveText(String(c.confusionMatrix[3][3]));

    // Difference matrix, B - A, for every cell.
    await expect(page.getByLabel("Run A")).toHaveValue(a.id);
    await expect(page.getByLabel("Run B")).toHaveValue(b.id);
    const signed = (d: number) => (d === 0 ? "·" : d > 0 ? `+${d}` : `−${-d}`);
    for (let t = 0; t < 10; t++) {
      for (let p = 0; p < 10; p++) {
        const d = b.confusionMatrix[t][p] - a.confusionMatrix[t][p];
        await expect(page.getByTestId(`diff-cell-${t}-${p}`)).toHaveText(signed(d));
      }
    }
    // The biggest off-diagonal change reads as a sentence, with the better/worse verdict.
    let best: [number, number, number] = [0, 1, 0];
    for (let t = 0; t < 10; t++)
      for (let p = 0; p < 10; p++) {
        const d = b.confusionMatrix[t][p] - a.confusionMatrix[t][p];
        if (t !== p && Math.abs(d) > Math.abs(best[2])) best = [t, p, d];
      }
    const [t, p, d] = best;
    const cell = page.getByTestId(`diff-cell-${t}-${p}`);
    if (d !== 0) {
      await expect(cell).toHaveAttribute("data-better", String(d < 0));
      await expect(cell).toHaveAttribute("title", new RegExp(`: ${a.confusionMatrix[t][p]} → ${b.confusionMatrix[t][p]} `));
      await expect(page.getByTestId("diff-changes").locator("li").first()).toContainText(`: ${a.confusionMatrix[t][p]} → ${b.confusionMatrix[t][p]}`);
    }
    await expect(page.getByTestId("f1-deltas").locator("tbody tr")).toHaveCount(10);
    await page.screenshot({ path: join(SCREENSHOTS_DIR, "compare.png"), fullPage: true });

    // Swapping A and B negates the matrix.
    await page.getByRole("button", { name: "⇄" }).click();
    await expect(page.getByTestId(`diff-cell-${t}-${p}`)).toHaveText(signed(-d));
  });

  test("too many or too few runs get a helpful message", async ({ page }) => {
    await page.goto("/compare?ids=a,b,c,d,e");
    await expect(page.getByRole("heading", { name: "Pick 2 to 4 runs" })).toBeVisible();
    await page.goto("/compare?ids=only-one");
    await expect(page.getByRole("heading", { name: "Pick 2 to 4 runs" })).toBeVisible();
  });
});
