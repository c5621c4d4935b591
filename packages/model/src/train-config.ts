import { z } from "zod";
import { ARCHITECTURE_NAMES, DEFAULT_ARCHITECTURE } from "./architecture-names";
import { LR_SCHEDULES } from "./schedules";

export const CHECKPOINT_METRICS = ["val_accuracy", "val_loss"] as const;
export const OPTIMIZERS = ["adam", "adamw", "sgd"] as const;
export const DATASETS = ["fashion-mnist", "fixture-subset"] as const;
export const BACKEND_PREFERENCES = ["auto", "tensorflow-gpu", "tensorflow", "native", "wasm", "cpu"] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

/** One training job's settings. The same schema validates the dashboard form, the API and the CLI;
 * defaults are the reference recipe (Adam 0.001, batch 64, 20% validation, early stopping). */
export const trainConfigSchema = z.object({
  name: z.string().trim().min(1, "name is required").max(200, "name is at most 200 characters"),
  architecture: z.enum(ARCHITECTURE_NAMES).default(DEFAULT_ARCHITECTURE),
  epochs: z.number().int("epochs must be a whole number").min(1, "at least 1 epoch").max(200, "at most 200 epochs").default(20),
  batchSize: z.number().int("batch size must be a whole number").min(1, "batch size must be at least 1").max(4096).default(64),
  learningRate: z.number().gt(0, "learning rate must be positive").max(1, "learning rate must be at most 1").default(0.001),
  validationSplit: z.number().min(0.01, "validation split must be at least 0.01").max(0.5).default(0.2),
  /** Epochs without a validation-loss improvement before stopping; 0 turns early stopping off. */
  patience: z.number().int().min(0).max(200).default(5),
  /** Which validation metric picks the kept (best) checkpoint. Early stopping always watches the
   * validation loss, the smoother signal; the kept weights are those a user wants: by default the
   * most accurate on validation (as ModelCheckpoint(monitor="val_accuracy", save_best_only=True)). */
  checkpointMetric: z.enum(CHECKPOINT_METRICS).default("val_accuracy"),
  /** Stochastic weight averaging (Izmailov et al. 2018): evaluate and export the mean of the weights
   * at the end of each of the last N epochs instead of the kept checkpoint (0 = off). */
  averageLastEpochs: z.number().int("epochs to average must be a whole number").min(0).max(200).default(0),
  dropout: z.number().min(0).max(0.9).default(0.4),
  /** adam; adamw: Adam with decoupled weight decay (Loshchilov & Hutter); sgd: SGD with Nesterov momentum. */
  optimizer: z.enum(OPTIMIZERS).default("adam"),
  /** Decoupled weight decay per step, times the learning rate (adamw; sgd adds it as L2 to the gradient's step too). */
  weightDecay: z.number().min(0, "weight decay cannot be negative").max(0.5).default(0),
  /** sgd's Nesterov momentum. */
  momentum: z.number().min(0).max(0.999).default(0.9),
  /** How the learning rate moves over training; learningRate is its base (or peak, for one-cycle). */
  lrSchedule: z.enum(LR_SCHEDULES).default("constant"),
  /** cosine: epochs of linear warm-up. */
  warmupEpochs: z.number().min(0).max(50).default(0),
  /** step: every stepEpochs epochs multiply the rate by stepGamma. */
  stepEpochs: z.number().int().min(1).max(200).default(10),
  stepGamma: z.number().gt(0).max(1).default(0.1),
  /** Label smoothing (Szegedy et al.): targets (1 - e) for the true class and e/10 spread over all. */
  labelSmoothing: z.number().min(0).max(0.5).default(0),
  /** Augmentation on the fly: random crop with this much zero padding in pixels (0 = off). */
  augmentCropPadding: z.number().int().min(0).max(8).default(0),
  /** Augmentation: mirror left-right with probability 0.5. */
  augmentFlip: z.boolean().default(false),
  /** Augmentation: random erasing with this probability per image (0 = off). */
  augmentErasing: z.number().min(0).max(1).default(0),
  /** Augmentation: "photo" (shrink and shift, contrast, floor, left-over lines and patches, as
   * preprocessPhoto leaves real photos) with this probability per image (0 = off). */
  augmentPhoto: z.number().min(0).max(1).default(0),
  /** Augmentation: "background" (the item shrunk into a loose box on a textured background,
   * lighter or darker than it, as a failed segmentation leaves a real photo) with this probability
   * per image (0 = off). */
  augmentBackground: z.number().min(0).max(1).default(0),
  /** Augmentation: "affine" (turned up to 15 degrees, scaled 0.85-1.05, sheared up to 0.1, as
   * items lie in real photos) with this probability per image (0 = off). */
  augmentAffine: z.number().min(0).max(1).default(0),
  /** Augmentation: "pair" (a shoe as half of a pair: a second copy behind or beside it, the two
   * framed together, as shops photograph shoes) with this probability per shoe image (0 = off). */
  augmentPair: z.number().min(0).max(1).default(0),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
  backend: z.enum(BACKEND_PREFERENCES).default("auto"),
  /** "fashion-mnist": the full dataset; "fixture-subset": the shipped 2,000/500-image real subset
   * (quick demos and tests). */
  dataset: z.enum(DATASETS).default("fashion-mnist"),
  /** Use at most this many training images (0 = all): quick experiments and tests. */
  maxTrainImages: z.number().int().min(0).default(0),
});

export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type TrainConfig = z.output<typeof trainConfigSchema>;

export function parseTrainConfig(input: unknown): TrainConfig {
  return trainConfigSchema.parse(input);
}

/**
 * A stored run config as the schema's input again, for a retried, re-queued or cloned run. Configs
 * are stored as requested, but the CLI's --data-dir can point at the shipped subset while the request
 * says the full dataset: a run that read a declared subset (Run.datasetSubset) is repeated on the
 * subset. Rows from before Run.datasetSubset kept `{ dir, source, subset }` in `config.dataset`;
 * they map the same way. Values are not checked here; parse the result with `trainConfigSchema`.
 */
/** A derived run's name ("name (copy)", "name (retry)"), the name shortened so the suffix fits
 * the schema's limit. */
function suffixedName(name: string, suffix: string): string {
  const max = trainConfigSchema.shape.name.maxLength ?? 200;
  return `${name.slice(0, max - suffix.length).trimEnd()}${suffix}`;
}
/** The name a clone is offered (the form) ... */
export const copyName = (name: string) => suffixedName(name, " (copy)");
/** ... and the name a retry gets (the API). */
export const retryName = (name: string) => suffixedName(name, " (retry)");

export function requestedTrainConfig(stored: unknown, resolved: { datasetSubset?: string | null } = {}): Record<string, unknown> {
  if (stored === null || typeof stored !== "object" || Array.isArray(stored)) return {};
  const config = { ...(stored as Record<string, unknown>) };
  const dataset = config.dataset;
  if (dataset !== null && typeof dataset === "object") {
    const subset = (dataset as { subset?: unknown }).subset;
    config.dataset = typeof subset === "string" && subset.length > 0 ? "fixture-subset" : "fashion-mnist";
  }
  if (resolved.datasetSubset) config.dataset = "fixture-subset";
  return config;
}
