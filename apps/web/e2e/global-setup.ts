// Fresh database and artifacts directory, migrated, with three real training runs made by the
// trainer CLI on the shipped Fashion-MNIST subset (2,000 train / 500 test images). What the specs
// need to assert against (ids, confusion matrices as stored) goes to runs.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { FIXTURE_DIR } from "@fmnist/data";
import { createDb } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import { E2E_ARTIFACTS_DIR, E2E_DATABASE_URL, E2E_DIR, E2E_RUNS_FILE } from "./paths";

export interface E2ERun {
  id: string;
  name: string;
  architecture: string;
  status: string;
  testAccuracy: number | null;
  learningRate: number;
  confusionMatrix: number[][];
  misclassified: number;
}

const RUNS = [
  { name: "e2e tiny-cnn", args: ["--architecture", "tiny-cnn", "--epochs", "2", "--seed", "1"] },
  { name: "e2e tiny-cnn lr 0.003", args: ["--architecture", "tiny-cnn", "--epochs", "3", "--learning-rate", "0.003", "--seed", "2"] },
  { name: "e2e mlp", args: ["--architecture", "mlp", "--epochs", "2", "--seed", "1"] },
];

export default async function globalSetup() {
  const repoRoot = resolve(import.meta.dirname, "../../..");
  rmSync(E2E_DIR, { recursive: true, force: true });
  mkdirSync(E2E_ARTIFACTS_DIR, { recursive: true });
  await migrate(E2E_DATABASE_URL, { log: () => {} });

  const ids: string[] = [];
  for (const run of RUNS) {
    const t0 = Date.now();
    const res = spawnSync("pnpm", ["--silent", "--filter", "@fmnist/trainer", "train", "--data-dir", FIXTURE_DIR, "--name", run.name, "--backend", "auto", ...run.args], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL, ARTIFACTS_DIR: E2E_ARTIFACTS_DIR },
      encoding: "utf8",
      timeout: 180_000,
    });
    const id = res.stdout.trim().split("\n").pop()?.trim() ?? "";
    if (res.status !== 0 || !/^[a-z0-9]{10,}$/i.test(id)) {
      throw new Error(`trainer failed for "${run.name}" (exit ${res.status}):\n${res.stderr.slice(-3000)}\n${res.stdout.slice(-1000)}`);
    }
    console.log(`[e2e setup] trained "${run.name}" -> ${id} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    ids.push(id);
  }

  const db = createDb(E2E_DATABASE_URL);
  try {
    const runs: E2ERun[] = [];
    for (const id of ids) {
      const r = await db.run.findUniqueOrThrow({ where: { id }, include: { evaluation: { include: { _count: { select: { misclassified: true } } } } } });
      if (!r.evaluation) throw new Error(`run ${id} has no evaluation (status ${r.status})`);
      runs.push({
        id,
        name: r.name,
        architecture: r.architecture,
        status: r.status,
        testAccuracy: r.testAccuracy,
        learningRate: (r.config as { learningRate: number }).learningRate,
        confusionMatrix: r.evaluation.confusionMatrix as number[][],
        misclassified: r.evaluation._count.misclassified,
      });
    }
    writeFileSync(E2E_RUNS_FILE, JSON.stringify(runs, null, 2));
  } finally {
    await db.$disconnect();
  }
}
