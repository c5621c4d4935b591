import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURE_DIR, readDataset } from "@fmnist/data";
import { createDb } from "@fmnist/db/client";
import { CLASS_NAMES_EN, CLASS_NAMES_ZH } from "@fmnist/model/classes";
import { expect, test } from "@playwright/test";
import { encodeGreyPng } from "../src/server/png";
import { argmax, blackPng, expectResultFor, loadNodeModel, nodePredict, openClassify, shownPrediction } from "./classify-support";
import { E2E_DATABASE_URL, SCREENSHOTS_DIR } from "./paths";
import { byName } from "./runs";

// The classify page runs the exported model in the browser. What it predicts must be what the same
// model predicts in Node, and its whole-test-set pass must reproduce the trainer's evaluation.

const run = () => byName("e2e tiny-cnn lr 0.003");

test.describe("classify page", () => {
  test("defaults to the best run and loads its model with a backend and a load time", async ({ page }) => {
    // Straight from the database: SUCCEEDED runs with an exported model, best test accuracy first.
    const db = createDb(E2E_DATABASE_URL);
    const withModel = await db.run
      .findMany({ where: { artifacts: { some: { kind: "tfjs-layers-model" } } }, select: { id: true, status: true, testAccuracy: true } })
      .finally(() => db.$disconnect());
    const best = withModel.filter((r) => r.status === "SUCCEEDED").sort((a, b) => (b.testAccuracy ?? 0) - (a.testAccuracy ?? 0))[0];
    await page.goto("/");
    await page.getByRole("navigation").getByRole("link", { name: "Classify" }).click();
    await expect(page).toHaveURL(/\/classify$/);
    await expect(page.getByTestId("model-select")).toHaveValue(best.id);
    await expect(page.getByTestId("model-status")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
    await expect(page.getByTestId("model-backend")).toHaveText(/^(webgl|wasm|cpu)$/);
    expect(Number(await page.getByTestId("model-load-ms").getAttribute("data-value"))).toBeGreaterThan(0);
    // Every run with a model can be chosen.
    await expect(page.getByTestId("model-select").locator("option")).toHaveCount(withModel.length);
  });

  test("uploaded test-image PNGs get the classes the same model predicts in Node", async ({ page, request, baseURL }, testInfo) => {
    const r = run();
    const test = readDataset(FIXTURE_DIR).test;
    const model = await loadNodeModel(baseURL!, r.id);
    // Six images in order, plus two the model gets wrong: agreement with the model, not the labels.
    const predicted = Array.from({ length: 200 }, (_, i) => nodePredict(model, test.images.subarray(i * 784, (i + 1) * 784)));
    const wrong = predicted.map((p, i) => ({ i, wrong: argmax(p.probabilities) !== test.labels[i] })).filter((x) => x.wrong && x.i >= 6);
    const indices = [0, 1, 2, 3, 4, 5, ...wrong.slice(0, 2).map((x) => x.i)];
    expect(wrong.length).toBeGreaterThan(0);

    const dir = testInfo.outputPath("test-images");
    mkdirSync(dir, { recursive: true });
    await openClassify(page, `?run=${r.id}`);
    let tensors: number | null = null;
    for (const i of indices) {
      // The app's own PNG of the test image, written to disk and uploaded like any file.
      const res = await request.get(`/api/dataset/test-images/${i}?run=${r.id}`);
      expect(res.status()).toBe(200);
      const name = `test-${i}.png`;
      writeFileSync(join(dir, name), await res.body());
      await page.getByTestId("file-input").setInputFiles(join(dir, name));
      await expectResultFor(page, name);
      const shown = await shownPrediction(page);
      const node = predicted[i].probabilities;
      expect(shown.label, `test image ${i}`).toBe(argmax(node));
      expect(shown.top).toBeCloseTo(node[argmax(node)], 4);
      // The page shows the 28x28 input and the ten probabilities, and leaks no tensors.
      await expect(page.getByTestId("model-input")).toBeVisible();
      await expect(page.getByTestId("probabilities").locator("li")).toHaveCount(10);
      const now = Number(await page.getByTestId("num-tensors").getAttribute("data-value"));
      tensors ??= now;
      expect(now).toBe(tensors);
    }
    model.dispose();

    // Class names in Chinese, and back.
    const label = Number(await page.getByTestId("top-class").getAttribute("data-label"));
    await page.getByRole("group", { name: "Class names" }).getByRole("button", { name: "中文" }).click();
    await expect(page.getByTestId("top-class")).toHaveText(CLASS_NAMES_ZH[label]);
    await page.getByRole("group", { name: "Class names" }).getByRole("button", { name: "EN" }).click();
    await expect(page.getByTestId("top-class")).toHaveText(CLASS_NAMES_EN[label]);
  });

  test("random test image shows its true class; paste, drop and a drawing are classified", async ({ page }) => {
    await openClassify(page, `?run=${run().id}`);
    await page.getByTestId("random-test-image").click();
    await expect(page.getByTestId("result")).toHaveAttribute("data-source", /^test image #\d+$/);
    await expect(page.getByTestId("true-class")).toContainText("true class:");

    // Paste and drag-and-drop hand the page a File, as the clipboard and the OS would.
    const png = [...(await (await page.request.get(`/api/dataset/test-images/7?run=${run().id}`)).body())];
    for (const [how, name] of [
      ["paste", "pasted.png"],
      ["drop", "dropped.png"],
    ] as const) {
      await page.evaluate(
        ({ how, name, bytes }) => {
          const data = new DataTransfer();
          data.items.add(new File([new Uint8Array(bytes)], name, { type: "image/png" }));
          if (how === "paste") window.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
          else document.querySelector('[data-testid="dropzone"]')?.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
        },
        { how, name, bytes: png },
      );
      await expectResultFor(page, name);
    }

    // A rough trouser: two white legs on black.
    const pad = page.getByTestId("drawing-pad");
    const box = (await pad.boundingBox())!;
    const at = (x: number, y: number) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height] as const;
    for (const x of [110, 170]) {
      await page.mouse.move(...at(x, 40));
      await page.mouse.down();
      await page.mouse.move(...at(x + (x < 140 ? -20 : 20), 250), { steps: 8 });
      await page.mouse.up();
    }
    await expectResultFor(page, "drawing");
    await expect(page.getByTestId("true-class")).toHaveCount(0);
    await expect(page.getByTestId("model-input")).toBeVisible();
  });

  test("the whole test set in the browser reproduces the trainer's accuracy and confusion matrix", async ({ page }) => {
    const r = run();
    await openClassify(page, `?run=${r.id}`);
    await page.getByTestId("run-test-set").click();
    await expect(page.getByTestId("test-set-result")).toBeVisible({ timeout: 120_000 });
    expect(Number(await page.getByTestId("testset-accuracy").getAttribute("data-value"))).toBe(r.testAccuracy);
    await expect(page.getByTestId("testset-match")).toHaveAttribute("data-match", "true");
    for (let t = 0; t < 10; t++) {
      for (let p = 0; p < 10; p++) await expect(page.getByTestId(`browser-cm-cell-${t}-${p}`)).toHaveText(String(r.confusionMatrix[t][p]));
    }
    // With a test image's result on screen too, for the README.
    await page.getByTestId("random-test-image").click();
    await expect(page.getByTestId("true-class")).toBeVisible();
    await page.screenshot({ path: join(SCREENSHOTS_DIR, "classify.png"), fullPage: true });
  });

  test("a non-image, corrupt pictures and a 20000x20000 picture get clear messages; the page keeps working", async ({ page }) => {
    test.setTimeout(90_000);
    await openClassify(page, `?run=${run().id}`);
    const input = page.getByTestId("file-input");
    const error = page.getByTestId("classify-error");

    await input.setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a picture at all\n") });
    await expect(error).toContainText('"notes.txt" is not an image (text/plain)');

    await input.setInputFiles({ name: "garbage.png", mimeType: "image/png", buffer: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)) });
    await expect(error).toContainText('"garbage.png" could not be decoded: it is named like an image');

    // A real PNG header followed by junk: the decoder itself must fail.
    const png = encodeGreyPng(new Uint8Array(64 * 64).fill(200), 64, 64);
    const broken = Buffer.concat([png.subarray(0, 33), Buffer.alloc(200, 0x5a)]);
    await input.setInputFiles({ name: "broken.png", mimeType: "image/png", buffer: broken });
    await expect(error).toContainText('"broken.png" could not be decoded: it starts like a PNG file, but its data is corrupt or truncated');

    await input.setInputFiles({ name: "huge.png", mimeType: "image/png", buffer: await blackPng(20000, 20000) });
    await expect(error).toContainText('"huge.png" is 20000×20000 pixels (400 megapixels)');

    // Still working: a large but reasonable picture is decoded downscaled and classified.
    await input.setInputFiles({ name: "big.png", mimeType: "image/png", buffer: await blackPng(3000, 2000) });
    // The page's first photo: on the default segmentation the worker also fetches IS-Net.
    await expectResultFor(page, "big.png", 60_000);
    await expect(page.getByTestId("result")).toContainText("3000×2000 (decoded downscaled)");
    await expect(error).toHaveCount(0);
  });

  test("a model that fails to load and a run without a model are explained", async ({ page, context }) => {
    const r = run();
    // The weights file is gone (as if deleted): the worker's request gets a 404.
    await context.route(`**/api/artifacts/${r.id}/weights.bin`, (route) => route.fulfill({ status: 404, contentType: "application/json", body: '{"error":"no file"}' }));
    await page.goto(`/classify?run=${r.id}`);
    await expect(page.getByTestId("model-status")).toHaveAttribute("data-state", "error", { timeout: 60_000 });
    await expect(page.getByTestId("model-status")).toContainText("The model could not be loaded");
    await expect(page.getByTestId("model-status")).toContainText("weights.bin answered HTTP 404");
    await expect(page.getByTestId("file-input")).toBeDisabled();
    // Once the file is back, "Load again" recovers without a page reload.
    await context.unroute(`**/api/artifacts/${r.id}/weights.bin`);
    await page.getByRole("button", { name: "Load again" }).click();
    await expect(page.getByTestId("model-status")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });

    await page.goto("/classify?run=no-such-run");
    await expect(page.getByTestId("model-status")).toContainText('There is no run with id "no-such-run"');

    // A failed run never exported a model.
    const db = createDb(E2E_DATABASE_URL);
    const failed = await db.run.create({
      data: { name: "e2e classify failed", architecture: "tiny-cnn", config: {}, seed: 1, status: "FAILED", epochsPlanned: 1, error: "made up for the classify spec" },
    });
    try {
      await page.goto(`/classify?run=${failed.id}`);
      await expect(page.getByTestId("model-status")).toContainText("Run “e2e classify failed” (failed) has no exported model");
      // Picking a real model from the list works from there.
      await page.getByTestId("model-select").selectOption(r.id);
      await expect(page.getByTestId("model-status")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
    } finally {
      await db.run.delete({ where: { id: failed.id } });
      await db.$disconnect();
    }
  });
});
