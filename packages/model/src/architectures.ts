import * as tf from "@tensorflow/tfjs";
import { ARCHITECTURE_INFO, ARCHITECTURE_NAMES, type ArchitectureName } from "./architecture-names";
import { IMAGE_SIZE, NUM_CLASSES } from "./classes";

export { ARCHITECTURE_INFO, ARCHITECTURE_NAMES, type ArchitectureName, DEFAULT_ARCHITECTURE } from "./architecture-names";

export interface ArchitectureOptions {
  // Dropout takes no seed on purpose: a seeded tfjs dropout layer draws the same mask every step.
  /** Dropout rate before the dense head (reference-cnn, reference-cnn-bn, mlp, resnet-small). The
   * seed notebook's network keeps its own three rates (0.25, 0.25, 0.5) as it was trained. */
  dropout?: number;
  /** Seed for the initial weights, so the same seed gives the same starting model. */
  seed?: number;
}

export interface Architecture {
  name: string;
  description: string;
  build(options?: ArchitectureOptions): tf.LayersModel;
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
ARCHITECTURE_INFO["reference-cnn"].description,
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
  description: ARCHITECTURE_INFO.mlp.description,
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
  description: ARCHITECTURE_INFO["tiny-cnn"].description,
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

/** The network the seed notebook really trained (SEED-NOTEBOOK-RESULTS.md): four 'same' 3x3 convs
 * in two blocks, dropout 0.25 / 0.25 / 0.5, Dense(512); 1,676,266 parameters. */
const seedNotebookCnn: Architecture = {
  name: "seed-notebook-cnn",
  description: ARCHITECTURE_INFO["seed-notebook-cnn"].description,
  build({ seed } = {}) {
    const init = initializers(seed);
    const conv = (filters: number, first = false) =>
      tf.layers.conv2d({ ...(first ? { inputShape } : {}), filters, kernelSize: 3, padding: "same", activation: "relu", ...init() });
    return tf.sequential({
      name: "seed_notebook_cnn",
      layers: [
        conv(32, true),
        conv(32),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.dropout({ rate: 0.25 }),
        conv(64),
        conv(64),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.dropout({ rate: 0.25 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 512, activation: "relu", ...init() }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: NUM_CLASSES, activation: "softmax", ...init() }),
      ],
    });
  },
};

/** A 3x3 Conv2D without bias > BatchNorm > ReLU: a batch-normalised block of a Sequential model. */
function convBnReluLayers(init: ReturnType<typeof initializers>, filters: number, padding: "same" | "valid", first: boolean): tf.layers.Layer[] {
  return [
    tf.layers.conv2d({ ...(first ? { inputShape } : {}), filters, kernelSize: 3, padding, useBias: false, ...init() }),
    tf.layers.batchNormalization({}),
    tf.layers.activation({ activation: "relu" }),
  ];
}

/** The seed notebook's network with batch normalisation after every convolution and the dense layer
 * (no bias > BN > ReLU). BN lets a one-cycle schedule run at a higher peak rate, so the blocks need
 * less dropout (0.1) than the notebook's 0.25; the head keeps `dropout` (0.4). */
const seedNotebookCnnBn: Architecture = {
  name: "seed-notebook-cnn-bn",
  description: ARCHITECTURE_INFO["seed-notebook-cnn-bn"].description,
  build({ dropout = 0.4, seed } = {}) {
    const init = initializers(seed);
    const convBnRelu = (filters: number, first = false) => convBnReluLayers(init, filters, "same", first);
    return tf.sequential({
      name: "seed_notebook_cnn_bn",
      layers: [
        ...convBnRelu(32, true),
        ...convBnRelu(32),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.dropout({ rate: 0.1 }),
        ...convBnRelu(64),
        ...convBnRelu(64),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.dropout({ rate: 0.1 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 512, useBias: false, ...init() }),
        tf.layers.batchNormalization({}),
        tf.layers.activation({ activation: "relu" }),
        tf.layers.dropout({ rate: dropout }),
        tf.layers.dense({ units: NUM_CLASSES, activation: "softmax", ...init() }),
      ],
    });
  },
};

/** reference-cnn with batch normalisation after each convolution (conv without bias > BN > ReLU). */
const referenceCnnBn: Architecture = {
  name: "reference-cnn-bn",
  description: ARCHITECTURE_INFO["reference-cnn-bn"].description,
  build({ dropout = 0.4, seed } = {}) {
    const init = initializers(seed);
    const convBnRelu = (filters: number, first = false) => convBnReluLayers(init, filters, "valid", first);
    return tf.sequential({
      name: "reference_cnn_bn",
      layers: [
        ...convBnRelu(32, true),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        ...convBnRelu(64),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        ...convBnRelu(128),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: dropout }),
        tf.layers.dense({ units: 128, activation: "relu", ...init() }),
        tf.layers.dense({ units: NUM_CLASSES, activation: "softmax", ...init() }),
      ],
    });
  },
};

/** A small pre-activation-free ResNet (He et al. 2016, basic blocks): a 3x3 stem, three stages of two
 * residual blocks at 28x28 / 14x14 / 7x7 with 16 / 32 / 64 channels (stride-2 conv + 1x1 projection
 * where the shape changes), global average pooling, dropout, Dense(10). */
const resnetSmall: Architecture = {
  name: "resnet-small",
  description: ARCHITECTURE_INFO["resnet-small"].description,
  build({ dropout = 0.2, seed } = {}) {
    const init = initializers(seed);
    const convBn = (x: tf.SymbolicTensor, filters: number, strides: number, kernelSize = 3) =>
      tf.layers
        .batchNormalization({})
        .apply(tf.layers.conv2d({ filters, kernelSize, strides, padding: "same", useBias: false, ...init() }).apply(x)) as tf.SymbolicTensor;
    const relu = (x: tf.SymbolicTensor) => tf.layers.activation({ activation: "relu" }).apply(x) as tf.SymbolicTensor;
    const block = (x: tf.SymbolicTensor, filters: number, strides: number) => {
      const inChannels = x.shape[3];
      const y = convBn(relu(convBn(x, filters, strides)), filters, 1);
      const shortcut = strides !== 1 || inChannels !== filters ? convBn(x, filters, strides, 1) : x;
      return relu(tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor);
    };
    const input = tf.input({ shape: inputShape });
    let x = relu(convBn(input, 16, 1));
    for (const [filters, strides] of [[16, 1], [16, 1], [32, 2], [32, 1], [64, 2], [64, 1]] as const) x = block(x, filters, strides);
    x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dropout({ rate: dropout }).apply(x) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: NUM_CLASSES, activation: "softmax", ...init() }).apply(x) as tf.SymbolicTensor;
    return tf.model({ name: "resnet_small", inputs: input, outputs: output });
  },
};

// Keyed by the tfjs-free name list: a name without a builder (or the reverse) fails to compile.
const registry = {
  "reference-cnn": referenceCnn,
  "seed-notebook-cnn": seedNotebookCnn,
  "seed-notebook-cnn-bn": seedNotebookCnnBn,
  "reference-cnn-bn": referenceCnnBn,
  "resnet-small": resnetSmall,
  mlp,
  "tiny-cnn": tinyCnn,
} satisfies Record<ArchitectureName, Architecture>;
export const ARCHITECTURES: Record<string, Architecture> = registry;

export function buildModel(name: string, options?: ArchitectureOptions): tf.LayersModel {
  const arch = ARCHITECTURES[name];
  if (!arch) {
    throw new Error(`unknown architecture "${name}"; known: ${ARCHITECTURE_NAMES.join(", ")}`);
  }
  return arch.build(options);
}

/** Floating-point operations of one forward pass of one image (a multiply-add counts as two),
 * from the layers' shapes: convolutions and dense layers, plus one operation per element for batch
 * normalisation, activations, pooling and additions. A training step costs about three times this. */
export function forwardFlops(model: tf.LayersModel): number {
  let flops = 0;
  const size = (shape: (number | null)[]) => shape.slice(1).reduce<number>((p, d) => p * (d ?? 1), 1);
  for (const layer of model.layers) {
    const out = layer.outputShape as (number | null)[];
    const cls = layer.getClassName();
    if (cls === "Conv2D") {
      const [kh, kw, inC] = (layer.getWeights()[0].shape as number[]).slice(0, 3);
      flops += 2 * size(out) * kh * kw * inC;
    } else if (cls === "Dense") {
      flops += 2 * (layer.getWeights()[0].shape as number[])[0] * size(out);
    } else if (["BatchNormalization", "Activation", "MaxPooling2D", "Add", "GlobalAveragePooling2D"].includes(cls)) {
      flops += size(out);
    }
  }
  return flops;
}
