// Named presets for the new-run form and `pnpm train --recipe`. A recipe only fills in settings: the
// stored config is always complete and explicit (every field, defaults included).
import type { TrainConfigInput } from "./train-config";

export interface Recipe {
  label: string;
  description: string;
  config: Omit<TrainConfigInput, "name">;
}

export const RECIPES = {
  "seed-readme": {
    label: "Seed README model",
    description: "The 241,546-parameter CNN the seed README shows, with its recipe: Adam 0.001, batch 64, 20% validation, up to 20 epochs.",
    config: {
      architecture: "reference-cnn",
      epochs: 20,
      batchSize: 64,
      learningRate: 0.001,
      validationSplit: 0.2,
      patience: 5,
      checkpointMetric: "val_accuracy",
      dropout: 0.4,
      optimizer: "adam",
      lrSchedule: "constant",
    },
  },
  "seed-notebook": {
    label: "Seed notebook (93.18%)",
    description:
      "What the seed notebook really ran: its 1.68M-parameter 4-conv network, Adam 0.001, batch 128, 10% validation, 20 epochs, early stopping on val loss with patience 10, best checkpoint by val accuracy.",
    config: {
      architecture: "seed-notebook-cnn",
      epochs: 20,
      batchSize: 128,
      learningRate: 0.001,
      validationSplit: 0.1,
      patience: 10,
      checkpointMetric: "val_accuracy",
      optimizer: "adam",
      lrSchedule: "constant",
    },
  },
  "reference-cnn-tuned": {
    label: "Seed README model, modern recipe (93.29%)",
    description:
      "The same 241,546-parameter network with AdamW (weight decay 0.05), one-cycle learning rate peaking at 0.002, batch 64, flip + random erasing, label smoothing 0.05, 80 epochs, and the mean of the last 20 epochs' weights exported (weight averaging): 93.29% here in 13.6 minutes on the native backend.",
    config: {
      architecture: "reference-cnn",
      epochs: 80,
      batchSize: 64,
      learningRate: 0.002,
      validationSplit: 0.05,
      patience: 0,
      checkpointMetric: "val_accuracy",
      averageLastEpochs: 20,
      dropout: 0.4,
      optimizer: "adamw",
      weightDecay: 0.05,
      lrSchedule: "one-cycle",
      labelSmoothing: 0.05,
      augmentFlip: true,
      augmentErasing: 0.1,
    },
  },
  "best-45min-cpu": {
    label: "Best in 45 minutes on a 2-core CPU",
    description:
      "seed-notebook-cnn-bn with AdamW (decoupled weight decay 0.01), one-cycle learning rate peaking at 0.003, label smoothing 0.1, 2-px crop + flip + random erasing, shoes shown as pairs 30% of the time (real photos show pairs), 40 epochs on 98% of the training set: about 55 s an epoch on the native backend.",
    config: {
      architecture: "seed-notebook-cnn-bn",
      epochs: 40,
      batchSize: 128,
      learningRate: 0.003,
      validationSplit: 0.02,
      patience: 0,
      checkpointMetric: "val_accuracy",
      dropout: 0.3,
      optimizer: "adamw",
      weightDecay: 0.01,
      lrSchedule: "one-cycle",
      labelSmoothing: 0.1,
      augmentCropPadding: 2,
      augmentFlip: true,
      augmentErasing: 0.1,
      // Measured on two seeds: the same Fashion-MNIST accuracy, +2 to +3 real photos right (pairs).
      augmentPair: 0.3,
    },
  },
  "resnet-cpu": {
    label: "Small ResNet for a CPU",
    description:
      "resnet-small with AdamW, one-cycle learning rate, crop + flip + random erasing and label smoothing: the recipe of the published small-ResNet results, sized for a CPU.",
    config: {
      architecture: "resnet-small",
      epochs: 25,
      batchSize: 128,
      learningRate: 0.005,
      validationSplit: 0.1,
      patience: 0,
      checkpointMetric: "val_accuracy",
      dropout: 0.2,
      optimizer: "adamw",
      weightDecay: 0.0005,
      lrSchedule: "one-cycle",
      labelSmoothing: 0.1,
      augmentCropPadding: 2,
      augmentFlip: true,
      augmentErasing: 0.25,
    },
  },
} satisfies Record<string, Recipe>;

export type RecipeName = keyof typeof RECIPES;
export const RECIPE_NAMES = Object.keys(RECIPES) as RecipeName[];
