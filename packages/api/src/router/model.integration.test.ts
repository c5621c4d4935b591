import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, insertRun, matrix, type TestDb } from "../../test/db";

let t: TestDb;
const ids: Record<string, string> = {};

async function withModel(name: string, seed: Parameters<typeof insertRun>[1]) {
  const id = await insertRun(t.db, seed);
  await t.db.artifact.createMany({
    data: [
      { runId: id, kind: "tfjs-layers-model", path: `runs/${id}/model.json`, sizeBytes: 1000 },
      { runId: id, kind: "tfjs-weights", path: `runs/${id}/weights.bin`, sizeBytes: 9000 },
    ],
  });
  ids[name] = id;
}

beforeAll(async () => {
  t = await createTestDb();
  await withModel("good", { name: "good", testAccuracy: 0.8, confusionMatrix: matrix(80) });
  await withModel("best", { name: "best", testAccuracy: 0.9, confusionMatrix: matrix(90) });
  await withModel("no accuracy", { name: "no accuracy", testAccuracy: null });
  // A cancelled run that still exported a model ranks after every SUCCEEDED one, however good.
  await withModel("cancelled", { name: "cancelled", status: "CANCELLED", testAccuracy: 0.95 });
  ids["no model"] = await insertRun(t.db, { name: "no model", testAccuracy: 0.99 });
});
afterAll(() => t.close());

describe("runs.models", () => {
  it("lists runs with an exported model, best SUCCEEDED first, others after", async () => {
    const models = await t.api.runs.models();
    expect(models.map((m) => m.name)).toEqual(["best", "good", "no accuracy", "cancelled"]);
    expect(models[0]).toMatchObject({ id: ids.best, testAccuracy: 0.9, status: "SUCCEEDED", numExamples: 900, modelFile: "model.json" });
    expect(models.find((m) => m.name === "no accuracy")?.numExamples).toBeNull();
  });
});
