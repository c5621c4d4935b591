import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { expectResultFor, openClassify } from "./classify-support";
import { E2E_ADMIN_TOKEN, SCREENSHOTS_DIR } from "./paths";
import { byName } from "./runs";

// The model registry in the dashboard, the classify page opening on @production, and the photo
// endpoint of the prediction API answering exactly what the classify page answers.

const REAL_PHOTOS = resolve(import.meta.dirname, "../../../../shared/real-photos");

test.describe.configure({ mode: "serial" });

async function giveTokenIfAsked(page: Page) {
  const prompt = page.getByTestId("token-prompt");
  if (await prompt.isVisible().catch(() => false)) {
    await prompt.getByLabel("Admin token").fill(E2E_ADMIN_TOKEN);
    await prompt.getByRole("button", { name: "Save token and continue" }).click();
  }
}

async function register(page: Page, runName: string) {
  const run = byName(runName);
  await page.getByTestId("register-run").selectOption(run.id);
  await page.getByTestId("register-name").fill("fashion-classifier");
  await page.getByTestId("register-submit").click();
  await page.waitForTimeout(200);
  await giveTokenIfAsked(page);
}

test.describe("model registry", () => {
  test("register runs, set and move @production, refuse deleting what it points at", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("navigation").getByRole("link", { name: "Models" }).click();
    await expect(page).toHaveURL(/\/models$/);
    await expect(page.getByTestId("no-registered-models")).toBeVisible();

    await register(page, "e2e tiny-cnn");
    await expect(page.getByTestId("version-1")).toContainText("e2e tiny-cnn");
    await register(page, "e2e tiny-cnn lr 0.003");
    await expect(page.getByTestId("version-2")).toContainText("e2e tiny-cnn lr 0.003");

    await page.getByTestId("set-production-1").click();
    await expect(page.getByTestId("alias-production")).toHaveText(/@production → v1/);
    await page.getByTestId("set-production-2").click();
    await expect(page.getByTestId("alias-production")).toHaveText(/@production → v2/);
    await page.getByTestId("set-staging-1").click();
    await expect(page.getByTestId("alias-staging")).toHaveText(/@staging → v1/);
    await expect(page.getByTestId("alias-history").locator("li")).toHaveCount(3);
    await expect(page.getByTestId("alias-history")).toContainText("moved v1 → v2");

    page.once("dialog", (d) => d.accept());
    await page.getByTestId("delete-2").click();
    await expect(page.getByTestId("registry-error")).toContainText('Version 2 of "fashion-classifier" is what @production points at; move or remove that alias first');
    await expect(page.getByTestId("version-2")).toBeVisible();
    await page.screenshot({ path: join(SCREENSHOTS_DIR, "models.png"), fullPage: true });
  });

  test("the classify page opens on @production", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("navigation").getByRole("link", { name: "Classify" }).click();
    await expect(page.getByTestId("registered-model")).toContainText("fashion-classifier v2 @production");
    await expect(page.getByTestId("model-select")).toHaveValue("reg:fashion-classifier/2");
    await expect(page.getByTestId("model-status")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  });

  test("the API serves @production; metadata, OpenAPI, and a model reload after the alias moves", async ({ request }) => {
    const meta = await (await request.get("/api/v1/models/fashion-classifier@production")).json();
    expect(meta).toMatchObject({ name: "fashion-classifier", version: 2, alias: "production", inputShape: [null, 28, 28, 1], sourceRun: { id: byName("e2e tiny-cnn lr 0.003").id } });
    const openapi = await (await request.get("/api/v1/openapi.json")).json();
    expect(Object.keys(openapi.paths)).toContain("/api/v1/models/{name}@{alias}:predict");
    const body = { instances: [new Array(784).fill(0)] };
    const before = await (await request.post("/api/v1/models/fashion-classifier@production:predict", { data: body })).json();
    expect(before.model.version).toBe(2);
    // Moving the alias needs the admin token, through the same tRPC API the page uses.
    const move = await request.post("/api/trpc/registry.setAlias", {
      data: { json: { name: "fashion-classifier", alias: "production", version: 1 } },
      headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}` },
    });
    expect(move.status()).toBe(200);
    const after = await (await request.post("/api/v1/models/fashion-classifier@production:predict", { data: body })).json();
    expect(after.model.version).toBe(1);
    expect(after.predictions[0]).not.toEqual(before.predictions[0]);
    const back = await request.post("/api/trpc/registry.setAlias", {
      data: { json: { name: "fashion-classifier", alias: "production", version: 2 } },
      headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}` },
    });
    expect(back.status()).toBe(200);
    const bad = await request.post("/api/v1/models/fashion-classifier@production:predict", { data: { instances: [[1, 2, 3]] } });
    expect(bad.status()).toBe(400);
  });

  test("the photo endpoint and the classify page give the same class and probabilities", async ({ page, request }) => {
    // Both on their default segmentation (IS-Net).
    test.setTimeout(180_000);
    const photos: { name: string; bytes: Buffer; type: string }[] = [];
    for (const i of [0, 1, 2, 3, 4]) {
      const res = await request.get(`/api/dataset/test-images/${i}?run=${byName("e2e tiny-cnn lr 0.003").id}`);
      photos.push({ name: `test-${i}.png`, bytes: await res.body(), type: "image/png" });
    }
    for (const folder of ["0-tshirt", "1-trouser", "3-dress", "5-sandal", "7-sneaker", "8-bag", "9-ankle-boot"]) {
      const file = readdirSync(join(REAL_PHOTOS, folder)).filter((f) => f.endsWith(".jpg")).sort()[0];
      photos.push({ name: `${folder}-${file}`, bytes: readFileSync(join(REAL_PHOTOS, folder, file)), type: "image/jpeg" });
    }
    await openClassify(page, "?model=fashion-classifier@production");
    let worst = 0;
    for (const photo of photos) {
      await page.getByTestId("file-input").setInputFiles({ name: photo.name, mimeType: photo.type, buffer: photo.bytes });
      await expectResultFor(page, photo.name, 60_000);
      const shown = await Promise.all(Array.from({ length: 10 }, async (_, c) => Number(await page.getByTestId(`prob-${c}`).getAttribute("data-value"))));
      const res = await request.post("/api/v1/models/fashion-classifier@production:classify", { data: photo.bytes, headers: { "content-type": photo.type } });
      expect(res.status()).toBe(200);
      const api = await res.json();
      const diff = Math.max(...shown.map((p, c) => Math.abs(p - api.probabilities[c])));
      worst = Math.max(worst, diff);
      expect(api.class.index, photo.name).toBe(shown.indexOf(Math.max(...shown)));
      expect(diff, `${photo.name}: max |page - api| over the ten probabilities`).toBeLessThan(1e-5);
    }
    console.log(`photo endpoint vs classify page: ${photos.length} pictures, max probability difference ${worst.toExponential(2)}`);
  });
});
