import type { ImageSet } from "@fmnist/data";
import { runArtifactFile, runArtifactPath } from "@fmnist/db/artifacts";
import type { Db } from "@fmnist/db/client";
import { finishRun } from "@fmnist/db/runs";
import { argmaxRows, classificationReport, confusionMatrix } from "@fmnist/model";
import type * as tf from "@tensorflow/tfjs";
import { lossAndAccuracy, predictProbabilities } from "./batches";
import { type ExportedModel, exportLayersModel } from "./export-model";

export interface TestEvaluation {
  accuracy: number;
  /** With mirror test-time augmentation (the mean of each image and its mirror). */
  accuracyTta: number;
  loss: number;
  count: number;
  confusionMatrix: number[][];
  report: ReturnType<typeof classificationReport>;
  misclassified: { testIndex: number; trueLabel: number; predLabel: number; confidence: number; probabilities: number[] }[];
}

/** Predicts the whole test set (x/255, in batches) and computes what a run page shows. */
export async function evaluateOnTestSet(
  model: tf.LayersModel,
  test: ImageSet,
  onBatch?: (done: number, total: number) => void | Promise<void>,
): Promise<TestEvaluation> {
  const probs = await predictProbabilities(model, test.images, test.labels, { onBatch });
  const { accuracy, loss } = lossAndAccuracy(probs, test.labels);
  // Mirror test-time augmentation, recorded beside the plain accuracy (a second, shorter pass).
  const mirrored = await predictProbabilities(model, test.images, test.labels, { mirrored: true });
  const accuracyTta = lossAndAccuracy(mirrored, test.labels).accuracy;
  const predicted = argmaxRows(probs);
  const cm = confusionMatrix(test.labels, predicted);
  const misclassified: TestEvaluation["misclassified"] = [];
  for (let i = 0; i < test.count; i++) {
    if (predicted[i] !== test.labels[i]) {
      const p = Array.from(probs.subarray(i * 10, i * 10 + 10), (v) => Math.round(v * 1e6) / 1e6);
      misclassified.push({ testIndex: i, trueLabel: test.labels[i], predLabel: predicted[i], confidence: p[predicted[i]], probabilities: p });
    }
  }
  return { accuracy, accuracyTta, loss, count: test.count, confusionMatrix: cm, report: classificationReport(cm), misclassified };
}

/** Exports the model under ARTIFACTS_DIR/runs/<runId>/ and records the evaluation, the artifacts
 * and the run's final state in one transaction: a run is SUCCEEDED with all of it or none. */
export async function exportAndRecord(
  db: Db,
  runId: string,
  model: tf.LayersModel,
  evaluation: TestEvaluation,
  artifactsRoot: string,
  runData: { durationMs: number; imagesPerSec?: number | null },
  extraArtifacts: { kind: string; path: string; sizeBytes: number }[] = [],
): Promise<ExportedModel> {
  const exported = await exportLayersModel(model, runArtifactFile(runId, "", artifactsRoot));
  // Prisma's default 5 s is too short for a few hundred misclassified rows on a loaded machine
  // (seen with 4 workers on 2 cores): a finished run must not fail for want of time to record it.
  await db.$transaction(async (tx) => {
    const row = await tx.evaluation.create({
      data: {
        runId,
        testAccuracy: evaluation.accuracy,
        testLoss: evaluation.loss,
        numExamples: evaluation.count,
        confusionMatrix: evaluation.confusionMatrix,
        report: evaluation.report as object,
      },
    });
    await tx.misclassified.createMany({ data: evaluation.misclassified.map((m) => ({ ...m, evaluationId: row.id })) });
    await tx.artifact.createMany({
      data: [
        ...exported.files.map((f) => ({ runId, kind: f.name === "model.json" ? "tfjs-layers-model" : "tfjs-weights", path: runArtifactPath(runId, f.name), sizeBytes: f.sizeBytes })),
        ...extraArtifacts.map((a) => ({ runId, ...a })),
      ],
    });
    await finishRun(tx, runId, {
      testAccuracy: evaluation.accuracy,
      testAccuracyTta: evaluation.accuracyTta,
      testLoss: evaluation.loss,
      durationMs: runData.durationMs,
      imagesPerSec: runData.imagesPerSec,
    });
  }, { timeout: 60_000, maxWait: 30_000 });
  return exported;
}
