// Tags and a note on a run: edited on the run page (admin token), shown and filterable in the
// experiments list, refused with a message when malformed. Leaves the runs as it found them.
import { expect, type Page, test } from "@playwright/test";
import { E2E_ADMIN_TOKEN } from "./paths";
import { byName } from "./runs";

const authorize = (page: Page) => page.addInitScript((token) => window.localStorage.setItem("fmnist-admin-token", token), E2E_ADMIN_TOKEN);
const bearer = { authorization: `Bearer ${E2E_ADMIN_TOKEN}` };

test.afterAll(async ({ request }) => {
  const { id } = byName("e2e mlp");
  await request.post("/api/trpc/runs.setTags", { headers: bearer, data: { json: { id, tags: [] } } });
  await request.post("/api/trpc/runs.setNote", { headers: bearer, data: { json: { id, note: "" } } });
});

test("tag and annotate a run on its page, then filter the experiments list by the tag", async ({ page }) => {
  const mlp = byName("e2e mlp");
  await authorize(page);
  await page.goto(`/runs/${mlp.id}`);
  await expect(page.getByTestId("run-labels")).toContainText("No tags");
  await page.getByTestId("edit-labels").click();

  // Malformed input is refused in the form with the API's own message; nothing is sent.
  await page.getByTestId("tags-input").fill(`fine, ${"x".repeat(41)}`);
  await page.getByTestId("save-labels").click();
  await expect(page.getByTestId("labels-form").getByRole("alert")).toHaveText("a tag has at most 40 characters");

  await page.getByTestId("tags-input").fill("e2e-baseline, paper, paper");
  await page.getByTestId("note-input").fill("Kept for the write-up:\nthe MLP baseline.");
  await page.getByTestId("save-labels").click();
  await expect(page.getByTestId("run-tag")).toHaveText(["e2e-baseline", "paper"]);
  await expect(page.getByTestId("run-note")).toHaveText("Kept for the write-up:\nthe MLP baseline.");
  await page.reload();
  await expect(page.getByTestId("run-tag")).toHaveText(["e2e-baseline", "paper"]);

  // The list shows the tags; the tag filter keeps only the tagged run and lives in the URL.
  await page.goto("/");
  const rows = page.getByTestId("run-row");
  const tagged = page.locator(`[data-testid="run-row"][data-run-id="${mlp.id}"]`);
  await expect(tagged.getByTestId("run-tag")).toHaveText(["e2e-baseline", "paper"]);
  await expect(tagged).toContainText("Kept for the write-up");
  const all = await rows.count();
  expect(all).toBeGreaterThan(1);
  await page.getByTestId("tag-filter").getByRole("button", { name: /paper/ }).click();
  await expect(page).toHaveURL(/[?&]tags=paper/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-run-id", mlp.id);
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(rows).toHaveCount(all);

  // A tag on the run page links to the filtered list.
  await page.goto(`/runs/${mlp.id}`);
  await page.getByTestId("run-tag").filter({ hasText: "e2e-baseline" }).click();
  await expect(page).toHaveURL(/[?&]tags=e2e-baseline/);
  await expect(rows).toHaveCount(1);
});

test("the tag and note mutations need the admin token; bad input is a 400 that changes nothing", async ({ request }) => {
  const { id } = byName("e2e tiny-cnn");
  const anonymous = await request.post("/api/trpc/runs.setTags", { data: { json: { id, tags: ["x"] } } });
  expect(anonymous.status()).toBe(401);
  const bad = await request.post("/api/trpc/runs.setNote", { headers: bearer, data: { json: { id, note: "n".repeat(2001) } } });
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error.json.message).toContain("at most 2000 characters");
  const run = await request.get(`/api/trpc/runs.byId?input=${encodeURIComponent(JSON.stringify({ json: { id } }))}`);
  expect((await run.json()).result.data.json).toMatchObject({ tags: [], note: null });
});
