// Dev only: fills DATABASE_URL with a few plausible runs (synthetic numbers, real test image
// indices of the shipped fixture) so the dashboard can be worked on without training.
// Usage: DATABASE_URL=file:/tmp/dev.db tsx scripts/dev-seed.ts
import { createDb } from "@fmnist/db/client";
import { databaseUrl } from "@fmnist/db/config";
import { migrate } from "@fmnist/db/migrate";
import { insertRun, matrix } from "../test/db";

const fixture = new URL("../../data/fixtures/fashion-mnist-small", import.meta.url).pathname;

async function main() {
  await migrate(databaseUrl());
  const db = createDb();
  const now = Date.now();
  await insertRun(db, { name: "reference-cnn baseline", architecture: "reference-cnn", batchSize: 64, epochs: 12, testAccuracy: 0.9121, bestValAccuracy: 0.915, durationMs: 412_000, createdAt: new Date(now - 86_400_000), datasetDir: fixture, confusionMatrix: matrix(44, [[6, 0, 5], [0, 6, 3], [4, 2, 2], [2, 4, 3]]) });
  await insertRun(db, { name: "reference-cnn lr 3e-4", architecture: "reference-cnn", batchSize: 128, learningRate: 0.0003, epochs: 15, testAccuracy: 0.9187, bestValAccuracy: 0.921, durationMs: 530_000, createdAt: new Date(now - 3_600_000), datasetDir: fixture, confusionMatrix: matrix(45, [[6, 0, 3], [0, 6, 4], [4, 2, 4], [2, 4, 1]]) });
  await insertRun(db, { name: "mlp quick", architecture: "mlp", batchSize: 256, epochs: 5, testAccuracy: 0.871, bestValAccuracy: 0.874, durationMs: 61_000, createdAt: new Date(now - 600_000), datasetDir: fixture, confusionMatrix: matrix(42, [[6, 0, 7], [0, 6, 5], [4, 2, 6], [2, 4, 5], [9, 7, 2]]) });
  await insertRun(db, { name: "tiny-cnn live", architecture: "tiny-cnn", status: "RUNNING", epochs: 10, createdAt: new Date(now - 60_000) });
  await insertRun(db, { name: "broken config", architecture: "mlp", status: "FAILED", epochs: 3, createdAt: new Date(now - 30_000) });
  await db.$disconnect();
  console.log("seeded 5 runs");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
