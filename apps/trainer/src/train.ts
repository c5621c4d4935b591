import { join } from "node:path";
import { FIXTURE_DIR, gather, loadFashionMnist, readDataset, seededRandom, shuffleInPlace, stratifiedSplit } from "@fmnist/data";
import type { Db } from "@fmnist/db/client";
import { artifactsDir as defaultArtifactsDir } from "@fmnist/db/config";
import { argmaxRows, buildModel, classificationReport, confusionMatrix, type TrainConfig } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "./backend/select-backend";
import { lossAndAccuracy, makeBatch, predictProbabilities } from "./batches";
import { codeVersion } from "./code-version";
import { exportLayersModel } from "./export-model";
import { renewLease } from "./queue";
import { type EpochSummary, type Progress, type ProgressReporter, silentReporter } from "./progress";
import { waitWhileHeld } from "./test-hold";

export interface TrainOptions {
  db: Db;
  config: TrainConfig;
  /** A run already in the database (claimed by a worker). Without it a new RUNNING run is created. */
  runId?: string;
  /** Dataset directory; default: FASHION_MNIST_DIR, the Debian package, the cache, or a download. */
  dataDir?: string;
  artifactsDir?: string;
  reporter?: ProgressReporter;
  /** Stop at the next batch boundary when this returns true (Ctrl-C, worker shutdown). */
  shouldStop?: () => boolean;
  /** How often live progress is written to the database (and the cancel flag read back). */
  progressIntervalMs?: number;
  /** For a run created here (the CLI): hold a lease like a worker does, so that a killed process
   * leaves a run that anyone can mark FAILED once the lease expires, instead of RUNNING forever. */
  lease?: { workerId: string; ms: number };
}

export interface TrainResult {
  runId: string;
  status: "SUCCEEDED" | "CANCELLED";
  backend: string;
  epochs: EpochSummary[];
  bestEpoch?: number;
  testAccuracy?: number;
  modelDir?: string;
  /** tf.memory().numTensors at the end of every epoch: flat when nothing leaks. */
  tensorsAfterEpoch: number[];
}

export class RunCancelled extends Error {}

/** Trains one run end to end and records everything in the database as it happens. Any error
 * marks the run FAILED with its message (never left RUNNING) and is re-thrown. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { db, config } = options;
  const reporter = options.reporter ?? silentReporter;
  const run = options.runId
    ? await db.run.update({
        where: { id: options.runId },
        data: { status: "RUNNING", startedAt: new Date(), error: null, codeVersion: codeVersion() },
      })
    : await db.run.create({
        data: {
          name: config.name,
          architecture: config.architecture,
          config: config as object,
          seed: config.seed,
          status: "RUNNING",
          startedAt: new Date(),
          epochsPlanned: config.epochs,
          codeVersion: codeVersion(),
          workerId: options.lease?.workerId,
          leaseExpiresAt: options.lease ? new Date(Date.now() + options.lease.ms) : undefined,
        },
      });
  const runId = run.id;
  reporter.runStarted(runId, config);
  const lease = !options.runId && options.lease;
  const heartbeat = lease
    ? setInterval(() => void renewLease(db, runId, lease.workerId, lease.ms).catch(() => undefined), lease.ms / 3)
    : undefined;
  try {
    return await trainRecorded(options, runId, reporter);
  } catch (e) {
    const cancelled = e instanceof RunCancelled;
    const message = e instanceof Error ? e.message : String(e);
    await db.run
      .update({
        where: { id: runId },
        data: {
          status: cancelled ? "CANCELLED" : "FAILED",
          error: cancelled ? null : message.slice(0, 4000),
          finishedAt: new Date(),
          durationMs: Date.now() - (run.startedAt ?? new Date()).getTime(),
        },
      })
      .catch(() => undefined);
    if (cancelled) {
      reporter.log(`run ${runId} cancelled`);
      return { runId, status: "CANCELLED", backend: "", epochs: [], tensorsAfterEpoch: [] };
    }
    throw e;
  } finally {
    clearInterval(heartbeat);
  }
}

async function trainRecorded(options: TrainOptions, runId: string, reporter: ProgressReporter): Promise<TrainResult> {
  const { db, config } = options;
  const started = Date.now();
  const backend = await selectBackend(config.backend);
  reporter.log(`backend: ${backend.backend} (${backend.note})`);
  const dataDir = options.dataDir ?? (config.dataset === "fixture-subset" ? FIXTURE_DIR : undefined);
  const data = dataDir ? readDataset(dataDir) : await loadFashionMnist({ progress: true });
  reporter.log(
    `dataset: ${data.train.count} train / ${data.test.count} test images from ${data.dir}${data.subset ? ` (${data.subset})` : ""}`,
  );
  await db.run.update({
    where: { id: runId },
    data: {
      backend: backend.backend,
      backendNote: backend.note,
      datasetChecksum: data.checksum,
      config: { ...config, dataset: { dir: data.dir, source: data.source, subset: data.subset ?? null } } as object,
    },
  });

  let { images: trainImages, labels: trainLabels } = data.train;
  if (config.maxTrainImages > 0 && config.maxTrainImages < data.train.count) {
    const keep = stratifiedSplit(trainLabels, 1 - config.maxTrainImages / data.train.count, config.seed).train;
    ({ images: trainImages, labels: trainLabels } = gather(trainImages, trainLabels, keep));
  }
  const split = stratifiedSplit(trainLabels, config.validationSplit, config.seed);
  const fit = gather(trainImages, trainLabels, split.train);
  const val = gather(trainImages, trainLabels, split.validation);

  const model = buildModel(config.architecture, { dropout: config.dropout, seed: config.seed });
  model.compile({ optimizer: tf.train.adam(config.learningRate), loss: "categoricalCrossentropy", metrics: ["accuracy"] });

  const progressEvery = options.progressIntervalMs ?? 1000;
  const batches = Math.ceil(fit.labels.length / config.batchSize);
  const epochs: EpochSummary[] = [];
  const tensorsAfterEpoch: number[] = [];
  let best: { epoch: number; valLoss: number; valAccuracy: number; weights: tf.Tensor[] } | undefined;
  let sinceBest = 0;
  let bestValLoss = Number.POSITIVE_INFINITY;
  let cancelRequested = false;
  let lastWrite = 0;

  const writeProgress = async (p: Progress) => {
    const row = await db.run.update({
      where: { id: runId },
      data: { progress: p as object },
      select: { cancelRequested: true },
    });
    cancelRequested ||= row.cancelRequested;
  };

  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const order = shuffleInPlace(Int32Array.from({ length: fit.labels.length }, (_, i) => i), seededRandom(config.seed * 1000 + epoch));
      const epochStart = Date.now();
      let seen = 0;
      let lossSum = 0;
      let correctSum = 0;
      reporter.epochStarted(epoch, config.epochs, batches);
      for (let b = 0; b < batches; b++) {
        if (cancelRequested || options.shouldStop?.()) throw new RunCancelled();
        await waitWhileHeld(epoch, () => cancelRequested || Boolean(options.shouldStop?.()));
        // Let timers run: tfjs settles its promises as microtasks, so without this turn of the event
        // loop an epoch starves the worker's lease heartbeat and a live run's lease lapses mid-epoch.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const start = b * config.batchSize;
        const end = Math.min(fit.labels.length, start + config.batchSize);
        const { xs, ys } = makeBatch(fit.images, fit.labels, start, end, order);
        const [loss, acc] = (await model.trainOnBatch(xs, ys)) as number[];
        xs.dispose();
        ys.dispose();
        if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at epoch ${epoch}, batch ${b + 1}: lower the learning rate`);
        seen += end - start;
        lossSum += loss * (end - start);
        correctSum += acc * (end - start);
        const elapsed = (Date.now() - epochStart) / 1000;
        const imagesPerSec = seen / Math.max(elapsed, 1e-3);
        const remainingImages = (config.epochs - epoch) * fit.labels.length + (fit.labels.length - seen);
        const progress: Progress = {
          epoch,
          epochs: config.epochs,
          batch: b + 1,
          batches,
          imagesPerSec,
          etaSeconds: remainingImages / imagesPerSec,
          loss: lossSum / seen,
          accuracy: correctSum / seen,
        };
        reporter.batch(progress);
        if (Date.now() - lastWrite >= progressEvery) {
          lastWrite = Date.now();
          await writeProgress(progress);
        }
      }
      const trainSeconds = (Date.now() - epochStart) / 1000;
      const valMetrics = lossAndAccuracy(await predictProbabilities(model, val.images, val.labels), val.labels);
      const summary: EpochSummary = {
        epoch,
        loss: lossSum / seen,
        accuracy: correctSum / seen,
        valLoss: valMetrics.loss,
        valAccuracy: valMetrics.accuracy,
        learningRate: config.learningRate,
        durationMs: Date.now() - epochStart,
        imagesPerSec: seen / trainSeconds,
      };
      epochs.push(summary);
      // Early stopping counts epochs without a validation-loss improvement; the kept checkpoint is
      // chosen by config.checkpointMetric (both as in Keras' EarlyStopping + ModelCheckpoint).
      if (summary.valLoss < bestValLoss) {
        bestValLoss = summary.valLoss;
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      const improved =
        !best ||
        (config.checkpointMetric === "val_loss" ? summary.valLoss < best.valLoss : summary.valAccuracy > best.valAccuracy);
      if (improved) {
        for (const w of best?.weights ?? []) w.dispose();
        best = { epoch, valLoss: summary.valLoss, valAccuracy: summary.valAccuracy, weights: model.getWeights().map((w) => w.clone()) };
      }
      await db.$transaction([
        db.epochMetric.create({ data: { runId, ...summary, durationMs: Math.round(summary.durationMs) } }),
        db.run.update({
          where: { id: runId },
          data: {
            epochsCompleted: epoch,
            bestEpoch: best!.epoch,
            bestValLoss: best!.valLoss,
            bestValAccuracy: best!.valAccuracy,
          },
        }),
      ]);
      tensorsAfterEpoch.push(tf.memory().numTensors);
      reporter.epochEnded(summary, improved);
      if (config.patience > 0 && sinceBest >= config.patience) {
        reporter.log(`early stopping: validation loss has not improved for ${config.patience} epochs (kept: epoch ${best!.epoch})`);
        break;
      }
    }

    // Evaluate and export the kept checkpoint, not the last epoch's weights.
    model.setWeights(best!.weights);
    reporter.log(`evaluating the weights of epoch ${best!.epoch} on ${data.test.count} test images`);
    const probs = await predictProbabilities(model, data.test.images, data.test.labels);
    const test = lossAndAccuracy(probs, data.test.labels);
    const predicted = argmaxRows(probs);
    const cm = confusionMatrix(data.test.labels, predicted);
    const report = classificationReport(cm);
    const misclassified: { testIndex: number; trueLabel: number; predLabel: number; confidence: number; probabilities: number[] }[] = [];
    for (let i = 0; i < data.test.count; i++) {
      if (predicted[i] !== data.test.labels[i]) {
        const p = Array.from(probs.subarray(i * 10, i * 10 + 10), (v) => Math.round(v * 1e6) / 1e6);
        misclassified.push({ testIndex: i, trueLabel: data.test.labels[i], predLabel: predicted[i], confidence: p[predicted[i]], probabilities: p });
      }
    }

    const root = options.artifactsDir ?? defaultArtifactsDir();
    const exported = await exportLayersModel(model, join(root, "runs", runId));
    const totalImages = epochs.reduce((s, e) => s + (e.imagesPerSec * e.durationMs) / 1000, 0);
    const trainMs = epochs.reduce((s, e) => s + e.durationMs, 0);
    await db.$transaction(async (tx) => {
      const evaluation = await tx.evaluation.create({
        data: {
          runId,
          testAccuracy: test.accuracy,
          testLoss: test.loss,
          numExamples: data.test.count,
          confusionMatrix: cm,
          report: report as object,
        },
      });
      await tx.misclassified.createMany({ data: misclassified.map((m) => ({ ...m, evaluationId: evaluation.id })) });
      await tx.artifact.createMany({
        data: exported.files.map((f) => ({ runId, kind: f.name === "model.json" ? "tfjs-layers-model" : "tfjs-weights", path: `runs/${runId}/${f.name}`, sizeBytes: f.sizeBytes })),
      });
      await tx.run.update({
        where: { id: runId },
        data: {
          status: "SUCCEEDED",
          finishedAt: new Date(),
          testAccuracy: test.accuracy,
          testLoss: test.loss,
          durationMs: Date.now() - started,
          imagesPerSec: trainMs > 0 ? totalImages / (trainMs / 1000) : null,
        },
      });
    });
    reporter.finished({ runId, testAccuracy: test.accuracy, testLoss: test.loss, bestEpoch: best!.epoch, modelDir: exported.dir });
    return {
      runId,
      status: "SUCCEEDED",
      backend: backend.backend,
      epochs,
      bestEpoch: best!.epoch,
      testAccuracy: test.accuracy,
      modelDir: exported.dir,
      tensorsAfterEpoch,
    };
  } finally {
    for (const w of best?.weights ?? []) w.dispose();
    model.dispose();
  }
}
