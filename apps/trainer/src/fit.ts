// The training loop, and nothing else: no database, no terminal. What happens around it (progress
// writes, early stopping, the kept checkpoint, learning-rate schedules, weight decay) are small
// callbacks on a few hooks, in the spirit of Keras callbacks. train.ts composes them for a run.
import { seededRandom, shuffleInPlace } from "@fmnist/data";
import { type AugmentOptions, augmentationEnabled, augmentImages, NO_AUGMENTATION } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { lossAndAccuracy, makeBatch, predictProbabilities } from "./batches";
import type { EpochSummary, Progress } from "./progress";

export interface Dataset {
  images: Uint8Array;
  labels: Uint8Array;
}

/** What every hook gets: the model, its optimizer, and a flag a callback sets to end training after
 * the current epoch (EarlyStopping's `model.stop_training`). */
export interface FitContext {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  epochs: number;
  stopTraining: boolean;
  /** Why training stopped early, for the log. */
  stopReason?: string;
}

export interface Callback {
  onEpochBegin?(epoch: number, batches: number, ctx: FitContext): void | Promise<void>;
  /** `t` is the fractional epoch counted from 0 (schedules change the rate every step). */
  onBatchBegin?(t: number, ctx: FitContext): void | Promise<void>;
  onBatchEnd?(p: Progress, ctx: FitContext): void | Promise<void>;
  onEpochEnd?(e: EpochSummary, ctx: FitContext): void | Promise<void>;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Seeds the epoch order and the augmentation. */
  seed: number;
  validation: Dataset;
  augment?: AugmentOptions;
  labelSmoothing?: number;
  callbacks?: Callback[];
  /** Checked before every batch: true ends fit() with FitStopped (cancel, Ctrl-C, shutdown). */
  shouldStop?: () => boolean;
}

/** Thrown by fit() when shouldStop() said so; what was recorded so far stays. */
export class FitStopped extends Error {
  constructor() {
    super("training stopped on request");
  }
}

export interface FitResult {
  epochs: EpochSummary[];
  /** tf.memory().numTensors at the end of every epoch: flat when nothing leaks. */
  tensorsAfterEpoch: number[];
}

/** The model must be compiled (its optimizer is the one the callbacks adjust). */
export async function fit(model: tf.LayersModel, train: Dataset, options: FitOptions): Promise<FitResult> {
  const callbacks = options.callbacks ?? [];
  const augment = options.augment ?? NO_AUGMENTATION;
  const ctx: FitContext = { model, optimizer: model.optimizer, epochs: options.epochs, stopTraining: false };
  const count = train.labels.length;
  const batches = Math.ceil(count / options.batchSize);
  const epochs: EpochSummary[] = [];
  const tensorsAfterEpoch: number[] = [];
  const each = async <K extends keyof Callback>(hook: K, ...args: Parameters<NonNullable<Callback[K]>>) => {
    for (const c of callbacks) await (c[hook] as ((...a: unknown[]) => unknown) | undefined)?.call(c, ...args);
  };

  for (let epoch = 1; epoch <= options.epochs && !ctx.stopTraining; epoch++) {
    const order = shuffleInPlace(Int32Array.from({ length: count }, (_, i) => i), seededRandom(options.seed * 1000 + epoch));
    const augmentRandom = seededRandom(options.seed * 7919 + epoch);
    const transform = augmentationEnabled(augment) ? (batch: Uint8Array, n: number, labels: Uint8Array) => augmentImages(batch, n, augment, augmentRandom, labels) : undefined;
    let learningRate = getLearningRate(ctx.optimizer);
    await each("onEpochBegin", epoch, batches, ctx);
    const epochStart = Date.now();
    let seen = 0;
    let lossSum = 0;
    let correctSum = 0;
    for (let b = 0; b < batches; b++) {
      if (options.shouldStop?.()) throw new FitStopped();
      // Let timers run: tfjs settles its promises as microtasks, so without this turn of the event
      // loop an epoch starves the lease heartbeat and a live run's lease lapses mid-epoch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await each("onBatchBegin", epoch - 1 + b / batches, ctx);
      // The rate the epoch starts with, as a schedule set it: recorded with the epoch and drawn.
      if (b === 0) learningRate = getLearningRate(ctx.optimizer);
      const start = b * options.batchSize;
      const end = Math.min(count, start + options.batchSize);
      const { xs, ys } = makeBatch(train.images, train.labels, start, end, order, { transform, labelSmoothing: options.labelSmoothing });
      const [loss, acc] = (await model.trainOnBatch(xs, ys)) as number[];
      xs.dispose();
      ys.dispose();
      if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at epoch ${epoch}, batch ${b + 1}: lower the learning rate`);
      seen += end - start;
      lossSum += loss * (end - start);
      correctSum += acc * (end - start);
      const imagesPerSec = seen / Math.max((Date.now() - epochStart) / 1000, 1e-3);
      const remainingImages = (options.epochs - epoch) * count + (count - seen);
      await each(
        "onBatchEnd",
        { epoch, epochs: options.epochs, batch: b + 1, batches, imagesPerSec, etaSeconds: remainingImages / imagesPerSec, loss: lossSum / seen, accuracy: correctSum / seen },
        ctx,
      );
    }
    const trainSeconds = (Date.now() - epochStart) / 1000;
    const val = lossAndAccuracy(await predictProbabilities(model, options.validation.images, options.validation.labels), options.validation.labels);
    const summary: EpochSummary = {
      epoch,
      loss: lossSum / seen,
      accuracy: correctSum / seen,
      valLoss: val.loss,
      valAccuracy: val.accuracy,
      learningRate,
      durationMs: Date.now() - epochStart,
      imagesPerSec: seen / trainSeconds,
    };
    epochs.push(summary);
    await each("onEpochEnd", summary, ctx);
    tensorsAfterEpoch.push(tf.memory().numTensors);
  }
  return { epochs, tensorsAfterEpoch };
}

// tfjs keeps the rate in a field its optimizers read at every step; SGD-family optimizers also keep
// a cached scalar that setLearningRate() refreshes.
export function getLearningRate(optimizer: tf.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.setLearningRate) o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Keras' LearningRateScheduler, per step: sets the rate before every batch. */
export class LearningRateSchedule implements Callback {
  constructor(private readonly rateAt: (t: number) => number) {}
  onBatchBegin(t: number, ctx: FitContext): void {
    setLearningRate(ctx.optimizer, this.rateAt(t));
  }
}

/** Decoupled weight decay (AdamW, SGDW: Loshchilov & Hutter 2019): after each step every kernel
 * shrinks by lr * decay; biases and batch-norm parameters are left alone, as is usual. */
export class DecoupledWeightDecay implements Callback {
  constructor(private readonly decay: number) {}
  onBatchEnd(_p: Progress, ctx: FitContext): void {
    const factor = 1 - getLearningRate(ctx.optimizer) * this.decay;
    for (const w of ctx.model.trainableWeights) {
      if (!/kernel/.test(w.originalName)) continue;
      tf.tidy(() => {
        w.write(tf.mul(w.read(), factor));
      });
    }
  }
}

/** Keras' EarlyStopping on the validation loss: stop after `patience` epochs without improvement. */
export class EarlyStopping implements Callback {
  private best = Number.POSITIVE_INFINITY;
  private since = 0;
  constructor(private readonly patience: number) {}
  onEpochEnd(e: EpochSummary, ctx: FitContext): void {
    if (e.valLoss < this.best) {
      this.best = e.valLoss;
      this.since = 0;
    } else if (++this.since >= this.patience) {
      ctx.stopTraining = true;
      ctx.stopReason = `validation loss has not improved for ${this.patience} epochs`;
    }
  }
}

export interface Checkpoint {
  epoch: number;
  valLoss: number;
  valAccuracy: number;
}

/** Stochastic weight averaging over epochs (Izmailov et al. 2018; torch.optim.swa_utils): sums the
 * weights at the end of each of the last `lastEpochs` epochs, then puts their mean into the model.
 * Batch-norm moving statistics are averaged like every other weight, where SWA proper recomputes
 * them with one more pass over the data. */
export class WeightAveraging implements Callback {
  /** The epochs averaged so far. */
  epochs: number[] = [];
  private sum: tf.Tensor[] = [];
  constructor(private readonly lastEpochs: number) {}
  onEpochEnd(e: EpochSummary, ctx: FitContext): void {
    if (e.epoch <= ctx.epochs - this.lastEpochs) return;
    const weights = ctx.model.getWeights();
    if (this.epochs.length === 0) this.sum = weights.map((w) => w.clone());
    else
      this.sum = this.sum.map((s, i) => {
        const next = tf.add(s, weights[i]);
        s.dispose();
        return next;
      });
    this.epochs.push(e.epoch);
  }
  /** Puts the mean of the summed weights into the model; returns the epochs it averaged. */
  apply(model: tf.LayersModel): number[] {
    if (this.epochs.length === 0) throw new Error("no epoch to average: training ended before the averaging window");
    const mean = tf.tidy(() => this.sum.map((s) => tf.div(s, this.epochs.length)));
    model.setWeights(mean);
    tf.dispose(mean);
    return this.epochs;
  }
  dispose(): void {
    tf.dispose(this.sum);
    this.sum = [];
  }
}

/** Keras' ModelCheckpoint(save_best_only=True), in memory: keeps a copy of the weights of the best
 * epoch by the chosen metric (the first on ties). */
export class BestCheckpoint implements Callback {
  best: Checkpoint | undefined;
  improved = false;
  private weights: tf.Tensor[] = [];
  constructor(private readonly metric: "val_accuracy" | "val_loss") {}
  onEpochEnd(e: EpochSummary, ctx: FitContext): void {
    this.improved = !this.best || (this.metric === "val_loss" ? e.valLoss < this.best.valLoss : e.valAccuracy > this.best.valAccuracy);
    if (!this.improved) return;
    this.dispose();
    this.best = { epoch: e.epoch, valLoss: e.valLoss, valAccuracy: e.valAccuracy };
    this.weights = ctx.model.getWeights().map((w) => w.clone());
  }
  /** Puts the kept weights back into the model; returns the kept epoch. */
  restore(model: tf.LayersModel): Checkpoint {
    if (!this.best) throw new Error("no epoch finished, so there is no checkpoint to restore");
    model.setWeights(this.weights);
    return this.best;
  }
  dispose(): void {
    for (const w of this.weights) w.dispose();
    this.weights = [];
  }
}
