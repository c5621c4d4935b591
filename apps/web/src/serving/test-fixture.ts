// Test support for the serving tests (not a test file itself): a scratch SQLite registry and real
// tfjs models saved in the exported layout under a temporary ARTIFACTS_DIR.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCaller, createTRPCContext } from "@fmnist/api";
import { createDb, type Db } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import { buildModel } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";

export interface ServingFixture {
  dir: string;
  db: Db;
  api: ReturnType<typeof createCaller>;
  /** The models of the runs added, in order (the reference for what the endpoints answer). */
  models: tf.LayersModel[];
  /** A succeeded tiny-cnn run with its model exported; returns the run id. */
  addRun(name: string, seed: number): Promise<string>;
  close(): Promise<void>;
}

export async function createServingFixture(prefix: string): Promise<ServingFixture> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.env.ARTIFACTS_DIR = join(dir, "artifacts");
  const url = `file:${join(dir, "serve.db")}`;
  await migrate(url, { log: () => {} });
  const db = createDb(url);
  const models: tf.LayersModel[] = [];

  async function exportModel(seed: number, runId: string): Promise<number> {
    const model = buildModel("tiny-cnn", { seed });
    const out = join(dir, "artifacts", "runs", runId);
    mkdirSync(out, { recursive: true });
    let size = 0;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        const weights = Buffer.from(a.weightData as ArrayBuffer);
        const json = { modelTopology: a.modelTopology, format: "layers-model", generatedBy: a.generatedBy, convertedBy: null, weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }] };
        writeFileSync(join(out, "weights.bin"), weights);
        writeFileSync(join(out, "model.json"), JSON.stringify(json));
        size = weights.length;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    models.push(model);
    return size;
  }

  return {
    dir,
    db,
    api: createCaller(createTRPCContext({ db })),
    models,
    async addRun(name, seed) {
      const run = await db.run.create({ data: { name, architecture: "tiny-cnn", config: {}, seed, status: "SUCCEEDED", epochsPlanned: 1, testAccuracy: 0.5 + seed / 100 } });
      const size = await exportModel(seed, run.id);
      await db.artifact.createMany({
        data: [
          { runId: run.id, kind: "tfjs-layers-model", path: `runs/${run.id}/model.json`, sizeBytes: 1000 },
          { runId: run.id, kind: "tfjs-weights", path: `runs/${run.id}/weights.bin`, sizeBytes: size },
        ],
      });
      return run.id;
    },
    async close() {
      for (const m of models) m.dispose();
      await db.$disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
