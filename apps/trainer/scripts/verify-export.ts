/**
 * Loads a run's exported model with stock `tf.loadLayersModel` (over HTTP, as a browser does),
 * predicts the run's test set and compares the accuracy with the one the trainer recorded.
 *
 *   pnpm --filter @fmnist/trainer verify-export <runId>
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { selectBackend } from "@fmnist/backends";
import { readDataset } from "@fmnist/data";
import { runArtifactFile } from "@fmnist/db/artifacts";
import { createDb } from "@fmnist/db/client";
import { artifactsDir } from "@fmnist/db/config";
import { accuracy, argmaxRows } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { predictProbabilities } from "../src/batches";

const runId = process.argv[2];
if (!runId) {
  console.error("usage: verify-export <runId>");
  process.exit(2);
}
const db = createDb();
const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
const dir = runArtifactFile(runId, "", artifactsDir());
const server = createServer((req, res) => res.end(readFileSync(join(dir, req.url!.slice(1)))));
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
await selectBackend("wasm");
const model = await tf.loadLayersModel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/model.json`);
server.close();
// Older rows recorded the directory inside the config.
const datasetDir = run.datasetDir ?? (run.config as { dataset?: { dir?: string } }).dataset?.dir;
if (!datasetDir) throw new Error("the run recorded no dataset directory");
const test = readDataset(datasetDir).test;
const started = performance.now();
const predicted = argmaxRows(await predictProbabilities(model, test.images, test.labels));
const acc = accuracy(test.labels, predicted);
console.log(
  `run ${runId}: reloaded model.json (${model.countParams()} parameters), ${test.count} test images in ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s: accuracy ${(acc * 100).toFixed(2)}%, recorded ${((run.testAccuracy ?? Number.NaN) * 100).toFixed(2)}% -> ${acc === run.testAccuracy ? "identical" : "DIFFERENT"}`,
);
await db.$disconnect();
process.exit(acc === run.testAccuracy ? 0 : 1);
