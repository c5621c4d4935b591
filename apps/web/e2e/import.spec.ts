// Importing a Keras model from the dashboard, end to end: the upload (admin token, a refused file
// with its reason), a real worker evaluating the imported run on the real test set with live
// progress, the run page's source, compare against a trained run, and classify with it.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { haveFixtures, KERAS_MODELS_DIR, readGroundTruth } from "@fmnist/keras-import/ground-truth";
import { expect, type Page, test } from "@playwright/test";
import { expectResultFor, openClassify, shownPrediction } from "./classify-support";
import { E2E_ADMIN_TOKEN, SCREENSHOTS_DIR } from "./paths";
import { byName } from "./runs";
import { type E2EWorker, startE2EWorker } from "./worker";

test.describe.configure({ mode: "serial" });
test.skip(!haveFixtures, "../shared/keras-models is not beside the checkout");

const FILE = "k215-cnn.keras";
const truth = () => readGroundTruth().find((t) => t.file === FILE)!;
let worker: E2EWorker | undefined;
let importedId = "";

test.afterAll(async ({ request }) => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 2000));
  }
  if (worker) {
    mkdirSync(resolve(import.meta.dirname, "../test-results"), { recursive: true });
    writeFileSync(resolve(import.meta.dirname, "../test-results/import-worker.log"), worker.output());
  }
  // Leave the e2e database as the specs after this one expect it.
  if (importedId) await request.post("/api/trpc/runs.delete", { data: { json: { id: importedId } }, headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}` } });
});

function startWorker() {
  worker = startE2EWorker("e2e-import-worker");
}

/** Every live headline the run page shows, however briefly. */
async function recordHeadlines(page: Page) {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __headlines: string[] }).__headlines = seen;
    const snap = () => {
      const h = document.querySelector('[data-testid="live-headline"]')?.textContent;
      if (h && seen[seen.length - 1] !== h) seen.push(h);
    };
    new MutationObserver(snap).observe(document.body, { subtree: true, childList: true, characterData: true });
    snap();
  });
  return () => page.evaluate(() => (window as unknown as { __headlines: string[] }).__headlines);
}

const runCount = async (page: Page) => {
  const res = await page.request.get("/api/trpc/runs.facets");
  return (await res.json()).result.data.json.total as number;
};

test("a refused file: the reason is shown, no run is recorded", async ({ page }) => {
  const before = await runCount(page);
  await page.addInitScript((token) => window.localStorage.setItem("fmnist-admin-token", token), E2E_ADMIN_TOKEN);
  await page.goto("/import");
  const truncated = readFileSync(join(KERAS_MODELS_DIR, "k2-cnn.h5")).subarray(0, 300_000);
  await page.getByTestId("import-file").setInputFiles({ name: "truncated.h5", mimeType: "application/octet-stream", buffer: truncated });
  await page.getByTestId("submit-import").click();
  await expect(page.getByTestId("import-error")).toContainText("truncated.h5 is a truncated or corrupt HDF5 file");
  // The upload route says the same to any client, and an anonymous one gets a 401.
  const anonymous = await page.request.post("/api/imports", { multipart: { file: { name: FILE, mimeType: "application/octet-stream", buffer: readFileSync(join(KERAS_MODELS_DIR, FILE)) } } });
  expect(anonymous.status()).toBe(401);
  // Over the size limit (64 MiB by default): 413 before the body is read.
  const big = await page.request.post("/api/imports", {
    headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}` },
    multipart: { file: { name: "big.keras", mimeType: "application/octet-stream", buffer: Buffer.alloc(65 * 1024 * 1024) } },
  });
  expect(big.status()).toBe(413);
  expect((await big.json()).error).toMatch(/the limit is 67108864 bytes \(FMNIST_IMPORT_MAX_BYTES\)/);
  expect(await runCount(page)).toBe(before);
});

test("upload a .keras file: the token is asked once, a worker evaluates it live, the run page shows its source", async ({ page }) => {
  test.setTimeout(240_000);
  const t = truth();
  await page.goto("/import");
  await expect(page.getByTestId("import-form")).toBeVisible();
  await page.getByTestId("import-file").setInputFiles(join(KERAS_MODELS_DIR, FILE));
  await page.getByTestId("import-name").fill("notebook CNN (Keras 2.15)");
  await page.screenshot({ path: join(SCREENSHOTS_DIR, "import.png"), fullPage: true });
  await page.getByTestId("submit-import").click();
  // A fresh browser has no token: the prompt, then the upload goes on by itself.
  await expect(page.getByTestId("token-prompt")).toBeVisible();
  await page.locator("#admin-token").fill(E2E_ADMIN_TOKEN);
  await page.locator("#admin-token").press("Enter");
  await expect(page).toHaveURL(/\/runs\/[^/]+$/, { timeout: 60_000 });
  importedId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
  await expect(page.getByTestId("run-name")).toContainText("notebook CNN (Keras 2.15)");
  await expect(page.getByTestId("status-badge").first()).toHaveText(/queued/i);
  const headlines = await recordHeadlines(page);

  startWorker();
  await expect(page.getByTestId("stat-test-accuracy")).toHaveText(`${(t.accuracy * 100).toFixed(2)}%`, { timeout: 180_000 });
  await expect(page.getByTestId("status-badge").first()).toHaveText(/succeeded/i);
  // Progress while it evaluated: the test-set pass was shown, counting images.
  expect((await headlines()).some((h) => /^Evaluating on the test set: [\d,]+ of 10,000 images$/.test(h)), (await headlines()).join(" | ")).toBe(true);

  await expect(page.getByTestId("imported-from")).toContainText(`imported from ${FILE} (Keras ${t.kerasVersion})`);
  await expect(page.getByTestId("source-sha256")).toHaveText(t.sha256);
  await expect(page.getByTestId("source-keras-version")).toHaveText(t.kerasVersion);
  await expect(page.getByTestId("stat-params")).toHaveText(t.params.toLocaleString("en"));
  await expect(page.getByTestId("source-layers").locator("tbody tr")).toHaveCount(7);
  // The real test set's confusion matrix, as the independent re-implementation computed it.
  for (let i = 0; i < 10; i++) await expect(page.getByTestId(`cm-cell-${i}-${i}`)).toContainText(String(t.confusion[i][i]));
  // Not trained here: nothing to clone or retry; the exported model is downloadable.
  await expect(page.getByTestId("clone-run")).toHaveCount(0);
  await expect(page.getByTestId("retry-run")).toHaveCount(0);
  await expect(page.getByTestId("artifacts")).toContainText("model.json");
  // The misclassified thumbnails are fetched one by one: let them arrive before the screenshot.
  await page.waitForLoadState("networkidle");
  await page.evaluate(() => Promise.all(Array.from(document.images, (img) => img.decode().catch(() => undefined))));
  await page.screenshot({ path: join(SCREENSHOTS_DIR, "imported-run.png"), fullPage: true });
});

test("compare the imported model with a trained run: matrices side by side and the difference", async ({ page }) => {
  const trained = byName("e2e tiny-cnn lr 0.003");
  const t = truth();
  await page.goto(`/compare?ids=${importedId},${trained.id}`);
  await expect(page.getByTestId("compare-run")).toHaveCount(2);
  // B - A: the trained run's counts minus the imported model's.
  for (const [i, j] of [
    [0, 0],
    [6, 6],
    [4, 6],
  ]) {
    const d = trained.confusionMatrix[i][j] - t.confusion[i][j];
    await expect(page.getByTestId(`diff-cell-${i}-${j}`)).toHaveText(d === 0 ? "·" : d > 0 ? `+${d}` : `−${-d}`);
  }
});

test("classify pictures with the imported model in the browser", async ({ page, request }, testInfo) => {
  const t = truth();
  await openClassify(page, `?run=${importedId}`);
  const dir = testInfo.outputPath("images");
  mkdirSync(dir, { recursive: true });
  for (const index of [0, 42]) {
    const res = await request.get(`/api/dataset/test-images/${index}?run=${importedId}`);
    expect(res.status()).toBe(200);
    writeFileSync(join(dir, `test-${index}.png`), await res.body());
    await page.getByTestId("file-input").setInputFiles(join(dir, `test-${index}.png`));
    await expectResultFor(page, `test-${index}.png`);
    const shown = await shownPrediction(page);
    const expected = t.probabilities.get(index)!;
    const label = expected.indexOf(Math.max(...expected));
    expect(shown.label, `test image ${index}`).toBe(label);
    expect(Math.abs(shown.top - expected[label])).toBeLessThan(1e-3);
  }
});
