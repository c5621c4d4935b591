import { selectBackend } from "@fmnist/backends";
import { FIXTURE_DIR, gather, loadFashionMnist, readDataset, stratifiedSplit } from "@fmnist/data";
import type { Db } from "@fmnist/db/client";
import { artifactsDir as defaultArtifactsDir } from "@fmnist/db/config";
import {
  createRun,
  failRun,
  markCancelled,
  pruneRun,
  recordEpoch,
  recordKept,
  recordProgress,
  recordResolved,
  startHeartbeat,
  startRun,
} from "@fmnist/db/runs";
import { buildModel, learningRateAt, type TrainConfig } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { lossAndAccuracy, predictProbabilities } from "./batches";
import { codeVersion } from "./code-version";
import { evaluateOnTestSet, exportAndRecord } from "./evaluate";
import {
  BestCheckpoint,
  type Callback,
  DecoupledWeightDecay,
  EarlyStopping,
  FitStopped,
  fit,
  LearningRateSchedule,
  WeightAveraging,
} from "./fit";
import type { EpochSummary, Progress, ProgressReporter } from "./progress";
import { silentReporter } from "./progress";
import { sweepPruning, TrialPruned } from "./sweep-pruning";
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
  status: "SUCCEEDED" | "CANCELLED" | "PRUNED";
  backend: string;
  epochs: EpochSummary[];
  bestEpoch?: number;
  testAccuracy?: number;
  /** Test accuracy with mirror test-time augmentation (mean of each image and its mirror). */
  testAccuracyTta?: number;
  modelDir?: string;
  /** tf.memory().numTensors at the end of every epoch: flat when nothing leaks. */
  tensorsAfterEpoch: number[];
}

/** Trains one run end to end and records everything in the database as it happens. Any error
 * marks the run FAILED with its message (never left RUNNING) and is re-thrown. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { db, config } = options;
  const reporter = options.reporter ?? silentReporter;
  const run = options.runId
    ? await startRun(db, options.runId, { codeVersion: codeVersion() })
    : await createRun(db, {
        config,
        status: "RUNNING",
        codeVersion: codeVersion(),
        workerId: options.lease?.workerId,
        leaseExpiresAt: options.lease ? new Date(Date.now() + options.lease.ms) : undefined,
      });
  const runId = run.id;
  reporter.runStarted(runId, config);
  const lease = !options.runId && options.lease;
  const heartbeat = lease ? startHeartbeat(db, runId, lease.workerId, lease.ms) : undefined;
  try {
    return await trainRecorded(options, runId, reporter);
  } catch (e) {
    const cancelled = e instanceof FitStopped;
    const pruned = e instanceof TrialPruned;
    const message = e instanceof Error ? e.message : String(e);
    const durationMs = Date.now() - (run.startedAt ?? new Date()).getTime();
    await (pruned ? pruneRun(db, runId, message, durationMs) : cancelled ? markCancelled(db, runId, durationMs) : failRun(db, runId, message, { durationMs })).catch(() => undefined);
    if (pruned) {
      reporter.log(`run ${runId} ${message}`);
      return { runId, status: "PRUNED", backend: "", epochs: [], tensorsAfterEpoch: [] };
    }
    if (cancelled) {
      reporter.log(`run ${runId} cancelled`);
      return { runId, status: "CANCELLED", backend: "", epochs: [], tensorsAfterEpoch: [] };
    }
    throw e;
  } finally {
    heartbeat?.stop();
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
  await recordResolved(db, runId, {
      backend: backend.backend,
      backendNote: backend.note,
      datasetChecksum: data.checksum,
      datasetDir: data.dir,
      datasetSource: data.source,
      datasetSubset: data.subset ?? null,
  });

  let { images: trainImages, labels: trainLabels } = data.train;
  if (config.maxTrainImages > 0 && config.maxTrainImages < data.train.count) {
    const keep = stratifiedSplit(trainLabels, 1 - config.maxTrainImages / data.train.count, config.seed).train;
    ({ images: trainImages, labels: trainLabels } = gather(trainImages, trainLabels, keep));
  }
  const split = stratifiedSplit(trainLabels, config.validationSplit, config.seed);
  const trainSet = gather(trainImages, trainLabels, split.train);
  const validation = gather(trainImages, trainLabels, split.validation);

  const model = buildModel(config.architecture, { dropout: config.dropout, seed: config.seed });
  model.compile({ optimizer: makeOptimizer(config), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const checkpoint = new BestCheckpoint(config.checkpointMetric);
  const averaging = config.averageLastEpochs > 0 ? new WeightAveraging(config.averageLastEpochs) : undefined;
  const recorder = new ProgressRecorder(db, runId, options.progressIntervalMs ?? 1000);
  // Order matters: the checkpoint sees an epoch before the recorder writes what it kept, and early
  // stopping (on the validation loss, as in Keras) decides last.
  const callbacks: Callback[] = [
    new LearningRateSchedule((t) => learningRateAt({ ...config, name: config.lrSchedule }, t)),
    ...(config.optimizer !== "adam" && config.weightDecay > 0 ? [new DecoupledWeightDecay(config.weightDecay)] : []),
    checkpoint,
    ...(averaging ? [averaging] : []),
    terminal(reporter, checkpoint),
    recorder.callback(checkpoint),
    ...(config.patience > 0 ? [new EarlyStopping(config.patience)] : []),
    ...[await sweepPruning(db, runId)].filter((c) => c !== undefined),
    // Test-only (FMNIST_TEST_HOLD_FILE): e2e tests hold a run between batches instead of racing it.
    { onBatchBegin: (t) => waitWhileHeld(Math.floor(t) + 1, () => recorder.cancelRequested || Boolean(options.shouldStop?.())) },
  ];

  try {
    const { epochs, tensorsAfterEpoch } = await fit(model, trainSet, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      seed: config.seed,
      validation,
      augment: { cropPadding: config.augmentCropPadding, flip: config.augmentFlip, erasing: config.augmentErasing, photo: config.augmentPhoto, background: config.augmentBackground, affine: config.augmentAffine, pair: config.augmentPair },
      labelSmoothing: config.labelSmoothing,
      callbacks,
      shouldStop: () => recorder.cancelRequested || Boolean(options.shouldStop?.()),
    });

    // Evaluate and export the kept checkpoint, not the last epoch's weights (or, with weight
    // averaging, the mean of the last epochs' weights when training got that far).
    let kept = checkpoint.restore(model);
    let weights = `the weights of epoch ${kept.epoch}`;
    if (averaging && averaging.epochs.length > 0) {
      const averaged = averaging.apply(model);
      const val = lossAndAccuracy(await predictProbabilities(model, validation.images, validation.labels), validation.labels);
      kept = { epoch: averaged[averaged.length - 1], valLoss: val.loss, valAccuracy: val.accuracy };
      await recordKept(db, runId, kept);
      weights = `the mean of the weights of epochs ${averaged[0]}-${kept.epoch}`;
      reporter.log(`weight averaging: ${weights} (validation accuracy ${(val.accuracy * 100).toFixed(2)}%, loss ${val.loss.toFixed(4)})`);
    }
    reporter.log(`evaluating ${weights} on ${data.test.count} test images`);
    const test = await evaluateOnTestSet(model, data.test);
    const totalImages = epochs.reduce((s, e) => s + (e.imagesPerSec * e.durationMs) / 1000, 0);
    const trainMs = epochs.reduce((s, e) => s + e.durationMs, 0);
    const exported = await exportAndRecord(db, runId, model, test, options.artifactsDir ?? defaultArtifactsDir(), {
      durationMs: Date.now() - started,
      imagesPerSec: trainMs > 0 ? totalImages / (trainMs / 1000) : null,
    });
    reporter.log(`with mirror test-time augmentation: ${(test.accuracyTta * 100).toFixed(2)}%`);
    reporter.finished({ runId, testAccuracy: test.accuracy, testLoss: test.loss, weights, modelDir: exported.dir });
    return {
      runId,
      status: "SUCCEEDED",
      backend: backend.backend,
      epochs,
      bestEpoch: kept.epoch,
      testAccuracy: test.accuracy,
      testAccuracyTta: test.accuracyTta,
      modelDir: exported.dir,
      tensorsAfterEpoch,
    };
  } finally {
    checkpoint.dispose();
    averaging?.dispose();
    model.dispose();
  }
}

function makeOptimizer(config: TrainConfig): tf.Optimizer {
  switch (config.optimizer) {
    case "adam":
    case "adamw": // the decay itself is the DecoupledWeightDecay callback
      return tf.train.adam(config.learningRate);
    case "sgd":
      return tf.train.momentum(config.learningRate, config.momentum, true);
  }
}

/** The terminal reporter on fit()'s hooks. */
function terminal(reporter: ProgressReporter, checkpoint: BestCheckpoint): Callback {
  return {
    onEpochBegin: (epoch, batches, ctx) => reporter.epochStarted(epoch, ctx.epochs, batches),
    onBatchEnd: (p) => reporter.batch(p),
    onEpochEnd: (e, ctx) => {
      reporter.epochEnded(e, checkpoint.improved);
      if (ctx.stopTraining) reporter.log(`early stopping: ${ctx.stopReason} (kept: epoch ${checkpoint.best?.epoch})`);
    },
  };
}

/** Writes a run's live progress (at most every `intervalMs`) and its epochs to the database, and
 * reads the cancel flag back with each progress write. */
class ProgressRecorder {
  cancelRequested = false;
  private lastWrite = 0;
  constructor(
    private readonly db: Db,
    private readonly runId: string,
    private readonly intervalMs: number,
  ) {}

  callback(checkpoint: BestCheckpoint): Callback {
    return {
      onBatchEnd: async (p: Progress) => {
        if (Date.now() - this.lastWrite < this.intervalMs) return;
        this.lastWrite = Date.now();
        this.cancelRequested ||= (await recordProgress(this.db, this.runId, p)).cancelRequested;
      },
      onEpochEnd: async (e: EpochSummary) => {
        await recordEpoch(this.db, this.runId, e, checkpoint.best);
      },
    };
  }
}
