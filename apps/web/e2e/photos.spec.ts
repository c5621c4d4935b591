import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, test } from "@playwright/test";
import { expectResultFor, openClassify } from "./classify-support";
import { SCREENSHOTS_DIR } from "./paths";
import { byName } from "./runs";

// A real photo on the classify page: the item's box on the picture, the 28x28 input, and a heat map
// of what drove the prediction, for the predicted class and then for another class clicked in the
// bars. Grad-CAM for a CNN, SmoothGrad for an MLP.
const REAL_PHOTOS = resolve(import.meta.dirname, "../../../../shared/real-photos");
const SNEAKER = "7-sneaker/adidas-hamburg-shoes-black-h06605-01-standard.jpg";

async function heatPixels(page: import("@playwright/test").Page): Promise<number[]> {
  return page.getByTestId("saliency-input").evaluate((c) => Array.from((c as HTMLCanvasElement).getContext("2d")?.getImageData(0, 0, 28, 28).data ?? []));
}

for (const [runName, method] of [
  ["e2e tiny-cnn lr 0.003", "Grad-CAM"],
  ["e2e mlp", "SmoothGrad"],
] as const) {
  test(`a real photo shows its box, the 28x28 input and a ${method} heat map; another class gets its own map`, async ({ page }) => {
    // The border model's view alone: this test is about the heat map (IS-Net and the default, both
    // views, are the next test's).
    await openClassify(page, `?run=${byName(runName).id}&segment=border`);
    await expect(page.getByTestId("model-status")).toContainText(method === "Grad-CAM" ? "Grad-CAM on" : "SmoothGrad");
    const name = SNEAKER.split("/")[1];
    await page.getByTestId("file-input").setInputFiles({ name, mimeType: "image/jpeg", buffer: readFileSync(join(REAL_PHOTOS, SNEAKER)) });
    await expectResultFor(page, name);

    // The item's box: inside the picture, smaller than it (the white studio background is left out).
    const box = JSON.parse((await page.getByTestId("detected-box").getAttribute("data-box")) ?? "null") as { x: number; y: number; width: number; height: number };
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.width).toBeGreaterThan(50);
    expect(box.width * box.height).toBeLessThan(0.8 * 400 * 400);
    await expect(page.getByTestId("detected-box")).toContainText("dashed: the item found");
    await expect(page.getByTestId("model-input")).toBeVisible();

    // The heat map of the predicted class, on the input and on the picture.
    const top = Number(await page.getByTestId("top-class").getAttribute("data-label"));
    const heat = page.getByTestId("saliency-input");
    await expect(heat).toHaveAttribute("data-class", String(top));
    await expect(page.getByTestId("original-preview")).toHaveAttribute("data-heat", "1");
    expect(Number(await heat.getAttribute("data-sum"))).toBeGreaterThan(0);
    await expect(page.getByTestId("saliency-caption")).toContainText(method === "Grad-CAM" ? /(Grad|Layer)CAM on/ : "SmoothGrad");
    const before = await heatPixels(page);
    await page.screenshot({ path: join(SCREENSHOTS_DIR, method === "Grad-CAM" ? "classify-saliency.png" : "classify-saliency-mlp.png"), fullPage: true });

    // The runner-up class: click its bar, its own map replaces the first.
    const probs = await Promise.all(Array.from({ length: 10 }, async (_, c) => Number(await page.getByTestId(`prob-${c}`).getAttribute("data-value"))));
    const second = probs.map((p, c) => [p, c]).filter(([, c]) => c !== top).sort((a, b) => b[0] - a[0])[0][1];
    await page.getByTestId(`explain-${second}`).click();
    await expect(page.getByTestId(`explain-${second}`)).toHaveAttribute("aria-pressed", "true");
    await expect(heat).toHaveAttribute("data-class", String(second));
    await expect(page.getByTestId("saliency-caption")).toContainText("what speaks for");
    const after = await heatPixels(page);
    expect(after.some((v, i) => v !== before[i])).toBe(true);

    // Back to the predicted class: its map again.
    await page.getByTestId(`explain-${top}`).click();
    await expect(heat).toHaveAttribute("data-class", String(top));
    // The verdict is stated plainly: confident, or the caveat says why not.
    const kind = await page.getByTestId("verdict").getAttribute("data-kind");
    if (kind !== "confident") await expect(page.getByTestId("caveat")).toBeVisible();
    expect(Number(await page.getByTestId("num-tensors").getAttribute("data-value"))).toBeLessThan(100);
  });
}

test("by default IS-Net finds the pullover on a bed sheet where the border model takes a cushion; both averages the two", async ({ page }) => {
  test.setTimeout(150_000);
  await openClassify(page, `?run=${byName("e2e tiny-cnn lr 0.003").id}`);
  const name = "cds-14c2f75c.jpg";
  const buffer = readFileSync(join(REAL_PHOTOS, "2-pullover", name));
  const boxOf = async () => JSON.parse((await page.getByTestId("detected-box").getAttribute("data-box")) ?? "null") as { x: number; y: number; width: number; height: number };
  const probabilitySum = async () => (await Promise.all(Array.from({ length: 10 }, async (_, c) => Number(await page.getByTestId(`prob-${c}`).getAttribute("data-value"))))).reduce((a, b) => a + b, 0);

  // The default, IS-Net: the first photo fetches the network (the wait says so); the box is the
  // pullover (x 5-395, y 60-260 on the 400x300 picture).
  await expect(page.getByTestId("segmentation-select")).toHaveValue("isnet");
  await page.getByTestId("file-input").setInputFiles({ name, mimeType: "image/jpeg", buffer });
  await expect(page.getByTestId("classifying")).toContainText("fetches the segmentation network");
  await expectResultFor(page, name, 90_000);
  await expect(page.getByTestId("detected-box")).toHaveAttribute("data-segmentation", "isnet");
  const box = await boxOf();
  expect(box.x).toBeLessThan(25);
  expect(box.width).toBeGreaterThan(350);
  await expect(page.getByTestId("detected-box")).toContainText("found by the IS-Net network");
  await expect(page.getByTestId("model-input")).toBeVisible();
  await expect(page.getByTestId("original-preview")).toHaveAttribute("data-heat", "1");
  expect(Math.abs((await probabilitySum()) - 1)).toBeLessThan(1e-3);
  await page.screenshot({ path: join(SCREENSHOTS_DIR, "classify-isnet.png"), fullPage: true });

  // The border model alone, chosen in the menu (the URL keeps it): the white cushion cut by the
  // right edge (x 375-400).
  await page.getByTestId("segmentation-select").selectOption("border");
  await expect(page).toHaveURL(/segment=border/);
  await page.getByTestId("file-input").setInputFiles({ name, mimeType: "image/jpeg", buffer });
  await expect(page.getByTestId("detected-box")).toHaveAttribute("data-segmentation", "border");
  expect((await boxOf()).x).toBeGreaterThan(300);

  // Both views, their probabilities averaged (the network is loaded already).
  await page.getByTestId("segmentation-select").selectOption("both");
  await expect(page).toHaveURL(/segment=both/);
  await page.getByTestId("file-input").setInputFiles({ name, mimeType: "image/jpeg", buffer });
  await expect(page.getByTestId("detected-box")).toHaveAttribute("data-segmentation", "both", { timeout: 60_000 });
  await expect(page.getByTestId("detected-box")).toContainText("the mean of its view and the other's");
  expect(Math.abs((await probabilitySum()) - 1)).toBeLessThan(1e-3);
});

test("a picture with nothing on it says so instead of one confident word", async ({ page }) => {
  test.setTimeout(120_000);
  await openClassify(page, `?run=${byName("e2e tiny-cnn lr 0.003").id}`);
  // A plain grey 200x150 PNG: no item stands out from the background.
  const { blackPng } = await import("./classify-support");
  await page.getByTestId("file-input").setInputFiles({ name: "plain.png", mimeType: "image/png", buffer: await blackPng(200, 150) });
  // On the default segmentation: neither the border model nor IS-Net finds an item.
  await expectResultFor(page, "plain.png", 90_000);
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-kind", "no-item");
  await expect(page.getByTestId("caveat")).toContainText("probably not a picture of one piece of clothing");
  await expect(page.getByTestId("top-class")).toContainText("?");
});

test("when IS-Net cannot be fetched, the default still answers with the border model's view and says so; the next photo retries", async ({ page }) => {
  test.setTimeout(150_000);
  // The network's download fails, as on a flaky connection or a server without the package.
  await page.context().route("**/classify/segmenter", (route) => route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ error: "segmenter offline (test)" }) }));
  await openClassify(page, `?run=${byName("e2e tiny-cnn lr 0.003").id}`);
  const name = SNEAKER.split("/")[1];
  const buffer = readFileSync(join(REAL_PHOTOS, SNEAKER));
  await page.getByTestId("file-input").setInputFiles({ name, mimeType: "image/jpeg", buffer });
  await expectResultFor(page, name, 60_000);
  await expect(page.getByTestId("detected-box")).toHaveAttribute("data-segmentation", "border");
  await expect(page.getByTestId("segmentation-note")).toContainText("HTTP 503: segmenter offline (test)");
  await expect(page.getByTestId("segmentation-note")).toContainText("the border model's view alone was classified");
  await expect(page.getByTestId("top-class")).toBeVisible();

  // Back online: the next photo fetches the network and gets its view.
  await page.context().unroute("**/classify/segmenter");
  await page.getByTestId("file-input").setInputFiles({ name: `again-${name}`, mimeType: "image/jpeg", buffer });
  await expectResultFor(page, `again-${name}`, 90_000);
  await expect(page.getByTestId("detected-box")).toHaveAttribute("data-segmentation", "isnet");
  await expect(page.getByTestId("segmentation-note")).toHaveCount(0);
});
