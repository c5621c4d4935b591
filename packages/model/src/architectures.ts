import * as tf from "@tensorflow/tfjs";
import { ARCHITECTURE_NAMES, type ArchitectureName } from "./architecture-names";
import { IMAGE_SIZE, NUM_CLASSES } from "./classes";

export { ARCHITECTURE_NAMES, type ArchitectureName, DEFAULT_ARCHITECTURE } from "./architecture-names";

export interface ArchitectureOptions {
  // Dropout takes no seed on purpose: a seeded tfjs dropout layer draws the same mask every step.
  /** Dropout rate before the dense head (reference-cnn, mlp). */
  dropout?: number;
  /** Seed for the initial weights, so the same seed gives the same starting model. */
  seed?: number;
}

export interface Architecture {
  name: string;
  description: string;
  build(options?: ArchitectureOptions): tf.Sequential;
}

const inputShape = [IMAGE_SIZE, IMAGE_SIZE, 1];

function initializers(seed: number | undefined) {
  // Keras defaults (glorot_uniform kernels, zero biases), seeded per layer so runs are repeatable.
  let next = seed ?? Math.floor(Math.random() * 2 ** 31);
  return () => ({ kernelInitializer: tf.initializers.glorotUniform({ seed: next++ }) });
}

/** The reference model: Keras Sequential, 241,546 parameters. */
const referenceCnn: Architecture = {
  name: "reference-cnn",
  description:
    "Conv2D(32) > MaxPool > Conv2D(64) > MaxPool > Conv2D(128) > Flatten > Dropout > Dense(128) > Dense(10); 241,546 parameters",
  build({ dropout = 0.4, seed } = {}) {
    const init = initializers(seed);
    return tf.sequential({
      name: "reference_cnn",
      layers: [
        tf.layers.conv2d({ inputShape, filters: 32, kernelSize: 3, activation: "relu", ...init() }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu", ...init() }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 128, kernelSize: 3, activation: "relu", ...init() }),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: dropout }),
        tf.layers.dense({ units: 128, activation: "relu", ...init() }),
        tf.layers.dense({ units: NUM_CLASSES, activation: "softmax", ...init() }),
      ],
    });
  },
};

/** A dense baseline: trains fast anywhere, about 88% test accuracy. */
const mlp: Architecture = {
  name: "mlp",
  description: "Flatten > Dense(256) > Dropout > Dense(10); 203,530 parameters",
  build({ dropout = 0.2, seed } = {}) {
    const init = initializers(seed);
    return tf.sequential({
      name: "mlp",
      layers: [
        tf.layers.flatten({ inputShape }),
        tf.layers.dense({ units: 256, activation: "relu", ...init() }),
        tf.layers.dropout({ rate: dropout }),
        tf.layers.dense({ units: NUM_CLASSES, activation: "softmax", ...init() }),
      ],
    });
  },
};

/** A very small CNN for smoke tests and demos on fixture data. */
const tinyCnn: Architecture = {
  name: "tiny-cnn",
  description: "Conv2D(8) > MaxPool > Flatten > Dense(10); 13,610 parameters",
  build({ seed } = {}) {
    const init = initializers(seed);
    return tf.sequential({
      name: "tiny_cnn",
      layers: [
        tf.layers.conv2d({ inputShape, filters: 8, kernelSize: 3, activation: "relu", ...init() }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: NUM_CLASSES, activation: "softmax", ...init() }),
      ],
    });
  },
};

// Keyed by the tfjs-free name list: a name without a builder (or the reverse) fails to compile.
const registry = { "reference-cnn": referenceCnn, mlp, "tiny-cnn": tinyCnn } satisfies Record<ArchitectureName, Architecture>;
export const ARCHITECTURES: Record<string, Architecture> = registry;

export function buildModel(name: string, options?: ArchitectureOptions): tf.Sequential {
  const arch = ARCHITECTURES[name];
  if (!arch) {
    throw new Error(`unknown architecture "${name}"; known: ${ARCHITECTURE_NAMES.join(", ")}`);
  }
  return arch.build(options);
}
