import * as tf from "@tensorflow/tfjs";
import type { KerasLayer } from "./config";
import { fail, LIMITS } from "./errors";

type Json = Record<string, unknown>;
type Shape = (number | null)[];

/** The Keras layer classes we translate, each with its tfjs counterpart. Anything else is refused
 * by name rather than approximated. */
export const SUPPORTED_LAYERS = [
  "Conv2D",
  "Dense",
  "MaxPooling2D",
  "AveragePooling2D",
  "GlobalAveragePooling2D",
  "GlobalMaxPooling2D",
  "Flatten",
  "Reshape",
  "Dropout",
  "BatchNormalization",
  "Activation",
  "ReLU",
  "LeakyReLU",
  "Softmax",
  "ZeroPadding2D",
  "Add",
  "Concatenate",
] as const;

const ACTIVATIONS: Record<string, tf.serialization.ConfigDictValue & string> = {
  linear: "linear",
  relu: "relu",
  relu6: "relu6",
  elu: "elu",
  selu: "selu",
  sigmoid: "sigmoid",
  hard_sigmoid: "hardSigmoid",
  tanh: "tanh",
  softmax: "softmax",
  softplus: "softplus",
  softsign: "softsign",
  swish: "swish",
  silu: "swish",
  mish: "mish",
};

class Options {
  constructor(
    private readonly layer: KerasLayer,
  ) {}
  private get cfg(): Json {
    return this.layer.config;
  }
  bad(option: string, why: string): never {
    fail(`layer ${this.layer.name} (${this.layer.className}): option ${option} ${why}`);
  }
  has(key: string): boolean {
    return this.cfg[key] !== undefined && this.cfg[key] !== null;
  }
  num(key: string, dflt?: number): number {
    const v = this.cfg[key] ?? dflt;
    if (typeof v !== "number" || !Number.isFinite(v)) this.bad(key, `must be a number, got ${JSON.stringify(v)}`);
    return v;
  }
  int(key: string, dflt?: number, max = LIMITS.maxDim): number {
    const v = this.num(key, dflt);
    if (!Number.isInteger(v) || v < 1 || v > max) this.bad(key, `= ${v} is out of range (1..${max})`);
    return v;
  }
  bool(key: string, dflt: boolean): boolean {
    const v = this.cfg[key] ?? dflt;
    if (typeof v !== "boolean") this.bad(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  /** An int or a pair of ints (kernel sizes, strides, pool sizes), each in 1..max. */
  pair(key: string, dflt?: [number, number], max = 1024): [number, number] {
    const v = this.cfg[key] ?? dflt;
    const p = typeof v === "number" ? [v, v] : v;
    if (!Array.isArray(p) || p.length !== 2 || p.some((x) => !Number.isInteger(x) || x < 1 || x > max)) this.bad(key, `= ${JSON.stringify(v)} is not a pair of sizes in 1..${max}`);
    return p as [number, number];
  }
  oneOf<T extends string>(key: string, allowed: readonly T[], dflt: T): T {
    const v = this.cfg[key] ?? dflt;
    if (!allowed.includes(v as T)) this.bad(key, `= ${JSON.stringify(v)} is not supported (supported: ${allowed.join(", ")})`);
    return v as T;
  }
  /** Options that change inference and that we do not translate must be absent or at their default. */
  requireDefault(key: string, ...defaults: unknown[]): void {
    const v = this.cfg[key];
    if (v === undefined || v === null) return;
    if (!defaults.some((d) => JSON.stringify(d) === JSON.stringify(v))) this.bad(key, `= ${JSON.stringify(v)} is not supported`);
  }
  activation(key = "activation"): string {
    const v = this.cfg[key] ?? "linear";
    const name = typeof v === "string" ? v : typeof v === "object" && v && typeof (v as Json).class_name === "string" ? String((v as Json).class_name) : undefined;
    const mapped = name ? ACTIVATIONS[name.toLowerCase()] : undefined;
    if (!mapped) this.bad(key, `= ${JSON.stringify(v)} is not a supported activation (supported: ${Object.keys(ACTIVATIONS).join(", ")})`);
    return mapped;
  }
  channelsLast(): void {
    this.oneOf("data_format", ["channels_last"], "channels_last");
  }
  /** Keras 2 writes dtype as a string, Keras 3 as a DTypePolicy object; we run float32 only. */
  float32(): void {
    const d = this.cfg.dtype;
    const name = d === undefined || d === null ? "float32" : typeof d === "string" ? d : typeof d === "object" ? (((d as Json).config as Json | undefined)?.name ?? "") : "";
    if (name !== "float32") this.bad("dtype", `= ${JSON.stringify(name)} is not supported (float32 only)`);
  }
}

export interface TranslatedLayer {
  layer: tf.layers.Layer;
  /** Parameters the layer will allocate once applied, computed from its config before it is. */
  params: number;
}

const ZEROS = "zeros" as const;

/** A tfjs layer equivalent to one Keras layer, given the shape(s) it is called on. Weights are
 * created with zeros (cheap): the file's weights replace them. */
export function translateLayer(k: KerasLayer, inputShapes: Shape[]): TranslatedLayer {
  const o = new Options(k);
  o.float32();
  const inShape = inputShapes[0];
  const rank = inShape.length;
  const last = inShape[rank - 1];
  const needRank = (r: number) => {
    if (rank !== r) fail(`layer ${k.name} (${k.className}) needs a rank-${r} input, got shape [${inShape.map(String).join(", ")}]`);
  };
  const name = k.name;
  switch (k.className) {
    case "Conv2D": {
      needRank(4);
      o.channelsLast();
      o.requireDefault("groups", 1);
      const filters = o.int("filters");
      const kernelSize = o.pair("kernel_size", undefined, 64);
      const strides = o.pair("strides", [1, 1]);
      const dilationRate = o.pair("dilation_rate", [1, 1]);
      const useBias = o.bool("use_bias", true);
      const layer = tf.layers.conv2d({
        name,
        filters,
        kernelSize,
        strides,
        dilationRate,
        padding: o.oneOf("padding", ["valid", "same"] as const, "valid"),
        activation: o.activation() as never,
        useBias,
        dataFormat: "channelsLast",
        kernelInitializer: ZEROS,
        biasInitializer: ZEROS,
      });
      return { layer, params: kernelSize[0] * kernelSize[1] * (last ?? 0) * filters + (useBias ? filters : 0) };
    }
    case "Dense": {
      o.requireDefault("lora_rank", 0);
      const units = o.int("units");
      const useBias = o.bool("use_bias", true);
      const layer = tf.layers.dense({ name, units, activation: o.activation() as never, useBias, kernelInitializer: ZEROS, biasInitializer: ZEROS });
      return { layer, params: (last ?? 0) * units + (useBias ? units : 0) };
    }
    case "MaxPooling2D":
    case "AveragePooling2D": {
      needRank(4);
      o.channelsLast();
      const poolSize = o.pair("pool_size", [2, 2]);
      const args = { name, poolSize, strides: o.has("strides") ? o.pair("strides") : poolSize, padding: o.oneOf("padding", ["valid", "same"], "valid"), dataFormat: "channelsLast" as const };
      return { layer: k.className === "MaxPooling2D" ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args), params: 0 };
    }
    case "GlobalAveragePooling2D":
    case "GlobalMaxPooling2D": {
      needRank(4);
      o.channelsLast();
      o.requireDefault("keepdims", false);
      const args = { name, dataFormat: "channelsLast" as const };
      return { layer: k.className === "GlobalMaxPooling2D" ? tf.layers.globalMaxPooling2d(args) : tf.layers.globalAveragePooling2d(args), params: 0 };
    }
    case "Flatten":
      o.channelsLast();
      return { layer: tf.layers.flatten({ name }), params: 0 };
    case "Reshape": {
      const target = k.config.target_shape;
      if (!Array.isArray(target) || target.some((d) => !Number.isInteger(d) || (d < 1 && d !== -1) || d > LIMITS.maxDim)) o.bad("target_shape", `= ${JSON.stringify(target)} is not a shape`);
      return { layer: tf.layers.reshape({ name, targetShape: target as number[] }), params: 0 };
    }
    case "Dropout": {
      const rate = o.num("rate");
      if (rate < 0 || rate >= 1) o.bad("rate", `= ${rate} is not in [0, 1)`);
      return { layer: tf.layers.dropout({ name, rate }), params: 0 };
    }
    case "BatchNormalization": {
      const axis = Array.isArray(k.config.axis) && k.config.axis.length === 1 ? k.config.axis[0] : (k.config.axis ?? -1);
      if (axis !== -1 && axis !== rank - 1) o.bad("axis", `= ${JSON.stringify(k.config.axis)} is not supported (the channel axis, -1, only)`);
      o.requireDefault("renorm", false);
      o.requireDefault("synchronized", false, true);
      const center = o.bool("center", true);
      const scale = o.bool("scale", true);
      const layer = tf.layers.batchNormalization({
        name,
        axis: -1,
        momentum: o.num("momentum", 0.99),
        epsilon: o.num("epsilon", 0.001),
        center,
        scale,
        betaInitializer: ZEROS,
        gammaInitializer: ZEROS,
        movingMeanInitializer: ZEROS,
        movingVarianceInitializer: ZEROS,
      });
      return { layer, params: (last ?? 0) * (2 + (center ? 1 : 0) + (scale ? 1 : 0)) };
    }
    case "Activation":
      return { layer: tf.layers.activation({ name, activation: o.activation() as never }), params: 0 };
    case "ReLU": {
      o.requireDefault("negative_slope", 0);
      o.requireDefault("threshold", 0);
      return { layer: tf.layers.reLU({ name, maxValue: o.has("max_value") ? o.num("max_value") : undefined }), params: 0 };
    }
    case "LeakyReLU":
      return { layer: tf.layers.leakyReLU({ name, alpha: o.has("negative_slope") ? o.num("negative_slope") : o.num("alpha", 0.3) }), params: 0 };
    case "Softmax": {
      const axis = Array.isArray(k.config.axis) && k.config.axis.length === 1 ? k.config.axis[0] : (k.config.axis ?? -1);
      if (axis !== -1 && axis !== rank - 1) o.bad("axis", `= ${JSON.stringify(k.config.axis)} is not supported (-1 only)`);
      return { layer: tf.layers.softmax({ name, axis: -1 }), params: 0 };
    }
    case "ZeroPadding2D": {
      needRank(4);
      o.channelsLast();
      const p = k.config.padding;
      const padding =
        typeof p === "number" ? p : Array.isArray(p) && p.length === 2 ? (p.every((x) => typeof x === "number") ? (p as [number, number]) : (p as [[number, number], [number, number]])) : o.bad("padding", `= ${JSON.stringify(p)} is not a padding`);
      return { layer: tf.layers.zeroPadding2d({ name, padding, dataFormat: "channelsLast" }), params: 0 };
    }
    case "Add":
      return { layer: tf.layers.add({ name }), params: 0 };
    case "Concatenate":
      return { layer: tf.layers.concatenate({ name, axis: o.num("axis", -1) }), params: 0 };
    default:
      fail(
        `layer ${k.name}: the Keras layer class ${k.className} is not supported (supported: InputLayer, ${SUPPORTED_LAYERS.join(", ")})`,
      );
  }
}
