import * as tf from "@tensorflow/tfjs";
import { type KerasLayer, type KerasModelSpec, parseModelConfig } from "./config";
import { fail, KerasImportError, LIMITS } from "./errors";
import { Hdf5Reader, isHdf5 } from "./hdf5";
import { translateLayer } from "./layers";
import { isZip, readKerasArchive } from "./zip";

export type KerasFormat = "keras" | "h5";

export interface ImportedKerasModel {
  /** A tfjs LayersModel taking [N, 28, 28, 1] images scaled to [0, 1], like our own models. */
  model: tf.LayersModel;
  format: KerasFormat;
  kerasVersion: string;
  /** "Sequential" or "Functional". */
  modelClass: string;
  modelName: string;
  paramCount: number;
  /** The input shape the Keras model declared (batch dimension first). */
  kerasInputShape: (number | null)[];
  layers: { name: string; className: string; params: number }[];
}

/** Fashion-MNIST images as our trainer, the classify page and the serving API feed them. */
export const IMAGE_SHAPE = [28, 28, 1] as const;

/** Imports a Keras model file: a `.keras` zip (Keras 3, or Keras 2.13+) or a whole-model `.h5`
 * (Keras 2, or Keras 3's legacy writer). Throws KerasImportError with a message naming the layer
 * and option for anything it cannot translate exactly. Browser-safe: bytes in, model out. */
export async function importKerasModel(bytes: Uint8Array, fileName = "model"): Promise<ImportedKerasModel> {
  if (bytes.length === 0) fail(`${fileName} is empty`);
  if (bytes.length > LIMITS.maxFileBytes) fail(`${fileName} is ${bytes.length} bytes (limit ${LIMITS.maxFileBytes})`);
  if (isZip(bytes)) {
    const archive = readKerasArchive(bytes);
    const spec = parseModelConfig(archive.config, "config.json");
    const kerasVersion = parseMetadataVersion(archive.metadata);
    const h5 = await Hdf5Reader.open(archive.weights, "model.weights.h5");
    try {
      return build(spec, "keras", kerasVersion, (layers) => kerasZipWeights(h5, layers));
    } finally {
      h5.close();
    }
  }
  if (isHdf5(bytes)) {
    const h5 = await Hdf5Reader.open(bytes, fileName);
    try {
      const modelConfig = h5.attr("/", "model_config");
      if (typeof modelConfig !== "string") {
        fail(`${fileName} holds no model_config: it is a weights-only file (save_weights) or not a Keras model; save the whole model with model.save()`);
      }
      const spec = parseModelConfig(modelConfig, `${fileName} model_config`);
      const version = h5.attr("/", "keras_version") ?? h5.attr("model_weights", "keras_version");
      return build(spec, "h5", typeof version === "string" ? version : "unknown", (layers) => legacyH5Weights(h5, layers));
    } finally {
      h5.close();
    }
  }
  fail(`${fileName} is neither a .keras archive (zip) nor an HDF5 .h5 file`);
}

function parseMetadataVersion(text: string): string {
  try {
    const m = JSON.parse(text) as { keras_version?: unknown };
    return typeof m.keras_version === "string" ? m.keras_version : "unknown";
  } catch {
    fail("metadata.json is not valid JSON");
  }
}

type WeightSource = (layers: { keras: KerasLayer; tfjs: tf.layers.Layer }[]) => Map<string, { path: string; name?: string; shape: number[]; values: Float32Array }[]>;

function shapeKey(shape: (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? "None" : d)).join(", ")}]`;
}

interface BuiltLayer {
  keras: KerasLayer;
  tfjs: tf.layers.Layer;
  params: number;
}

/** Applies every layer in config order to its inputs' symbolic tensors; returns the model output.
 * The parameter budget is checked before each layer allocates its weights. */
function buildGraph(spec: KerasModelSpec, tensors: Map<string, tf.SymbolicTensor>, built: BuiltLayer[]): tf.SymbolicTensor {
  let params = 0;
  const names = new Set<string>([spec.inputName]);
  for (const k of spec.layers) {
    if (names.has(k.name)) fail(`two layers are named ${k.name}`);
    names.add(k.name);
    const ins = k.inputs.map(([n, node, t]) => {
      const x = tensors.get(`${n}:${node}:${t}`);
      if (!x) fail(`layer ${k.name} takes the output of ${n}, which is not defined before it`);
      return x;
    });
    if (ins.length === 0) fail(`layer ${k.name} is not connected to any input`);
    const { layer, params: p } = translateLayer(k, ins.map((x) => x.shape));
    params += p;
    if (params > LIMITS.maxParams) fail(`the model has more than ${LIMITS.maxParams} parameters (at layer ${k.name}): refused`);
    let out: tf.SymbolicTensor;
    try {
      out = layer.apply(ins.length === 1 ? ins[0] : ins) as tf.SymbolicTensor;
    } catch (e) {
      if (e instanceof KerasImportError) throw e;
      fail(`layer ${k.name} (${k.className}) cannot be applied to input shape ${ins.map((x) => shapeKey(x.shape)).join(" and ")}: ${e instanceof Error ? e.message : String(e)}`);
    }
    built.push({ keras: k, tfjs: layer, params: p });
    if (Array.isArray(out)) fail(`layer ${k.name} has several outputs, which is not supported`);
    tensors.set(`${k.name}:0:0`, out);
  }
  const [outName, outNode, outTensor] = spec.outputs[0];
  const output = tensors.get(`${outName}:${outNode}:${outTensor}`);
  if (!output) fail(`the model's output ${outName} is not a layer of the model`);
  if (output.shape.length !== 2 || output.shape[1] !== 10) fail(`the model's output has shape ${shapeKey(output.shape)}; a Fashion-MNIST classifier outputs 10 class scores`);
  return output;
}

function build(spec: KerasModelSpec, format: KerasFormat, kerasVersion: string, readWeights: WeightSource): ImportedKerasModel {
  const declared = spec.inputShape.slice(1);
  const matches = (s: number[]) => declared.length === s.length && declared.every((d, i) => d === s[i]);
  if (!matches([28, 28, 1]) && !matches([28, 28]) && !matches([784])) {
    fail(`the model expects inputs of shape ${shapeKey(spec.inputShape)}; Fashion-MNIST images are 28x28x1 (accepted: (28,28,1), (28,28) or (784,))`);
  }
  // Our pipeline feeds [N,28,28,1] everywhere; a model declared on (28,28) or (784,) gets a reshape
  // in front (the same row-major pixel order, so it computes exactly what the original does).
  const input = tf.input({ shape: [...IMAGE_SHAPE], name: spec.inputName });
  const tensors = new Map<string, tf.SymbolicTensor>();
  tensors.set(`${spec.inputName}:0:0`, matches([28, 28, 1]) ? input : (tf.layers.reshape({ name: `${spec.inputName}_reshape`, targetShape: declared as number[] }).apply(input) as tf.SymbolicTensor));

  const built: BuiltLayer[] = [];
  let output: tf.SymbolicTensor;
  try {
    output = buildGraph(spec, tensors, built);
  } catch (e) {
    // Layers applied before the refusal hold (zero) weights: free them, leave nothing behind.
    for (const b of built) if (b.tfjs.built) b.tfjs.dispose();
    throw e;
  }

  const model = tf.model({ inputs: input, outputs: output, name: spec.name });
  try {
    const stored = readWeights(built);
    for (const { keras, tfjs } of built) {
      const want = tfjs.weights;
      const got = stored.get(keras.name) ?? [];
      if (got.length !== want.length) fail(`layer ${keras.name} (${keras.className}) needs ${want.length} weights, the file has ${got.length}`);
      const values = want.map((w, i) => {
        const s = got[i];
        const base = w.originalName.split("/").pop()!;
        if (s.name !== undefined && s.name !== base) fail(`layer ${keras.name}: weight ${i} is ${s.name} in the file, expected ${base}`);
        if (s.shape.length !== w.shape.length || s.shape.some((d, j) => d !== w.shape[j])) {
          fail(`layer ${keras.name} (${keras.className}): weight ${base} has shape ${shapeKey(s.shape)} in the file, the layer's config needs ${shapeKey(w.shape)}`);
        }
        return tf.tensor(s.values, w.shape as number[]);
      });
      if (values.length > 0) tfjs.setWeights(values);
      for (const v of values) v.dispose();
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return {
    model,
    format,
    kerasVersion,
    modelClass: spec.kind,
    modelName: spec.name,
    paramCount: model.countParams(),
    kerasInputShape: spec.inputShape,
    layers: built.map((b) => ({ name: b.keras.name, className: b.keras.className, params: b.params })),
  };
}

/** Keras' naming.to_snake_case, which names the weight slots of a `.keras` file. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, "")
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/** `.keras` weights: `layers/<slot>/vars/<i>`, where a slot is named after the layer's class (not
 * its name), numbered per class in layer order (conv2d, conv2d_1, ...); the vars are numbered in
 * the layer's own weight order. Where Keras wrote the layer's name as an attribute, it must agree. */
const kerasZipWeights = (h5: Hdf5Reader, layers: { keras: KerasLayer; tfjs: tf.layers.Layer }[]) => {
  const out = new Map<string, { path: string; shape: number[]; values: Float32Array }[]>();
  const perClass = new Map<string, number>();
  const used = new Set<string>();
  let budget: number = LIMITS.maxParams;
  for (const { keras } of layers) {
    const base = toSnakeCase(keras.className);
    const n = perClass.get(base) ?? 0;
    perClass.set(base, n + 1);
    const slot = n === 0 ? base : `${base}_${n}`;
    used.add(slot);
    const varsPath = `layers/${slot}/vars`;
    const count = h5.keys(varsPath).length;
    if (count === 0) continue;
    const attrName = h5.attr(varsPath, "name");
    if (typeof attrName === "string" && attrName !== keras.name) fail(`weights slot ${slot} belongs to layer ${attrName} in the file, but the config's layer there is ${keras.name}`);
    const list = [];
    for (let i = 0; i < count; i++) {
      const w = h5.weight(`${varsPath}/${i}`, budget);
      budget -= w.values.length;
      list.push(w);
    }
    out.set(keras.name, list);
  }
  for (const slot of h5.keys("layers")) {
    if (!used.has(slot) && h5.keys(`layers/${slot}/vars`).length > 0) fail(`the weights file has weights under layers/${slot} that no layer of the config uses`);
  }
  return out;
};

/** Whole-model `.h5` (Keras 2, and Keras 3's legacy writer): `model_weights/<layer>/<weight name>`,
 * in the order of the `weight_names` attribute; Keras 2 names end in `:0`, Keras 3 nests the
 * model's name in between (`sequential_2/conv2d_2/kernel`). */
const legacyH5Weights = (h5: Hdf5Reader, layers: { keras: KerasLayer; tfjs: tf.layers.Layer }[]) => {
  const out = new Map<string, { path: string; name: string; shape: number[]; values: Float32Array }[]>();
  const root = h5.group("model_weights") ? "model_weights" : "";
  const layerNames = h5.attr(root || "/", "layer_names");
  if (!Array.isArray(layerNames)) fail("the .h5 file has no layer_names attribute: not a whole-model Keras file");
  let budget: number = LIMITS.maxParams;
  for (const { keras, tfjs } of layers) {
    if (tfjs.weights.length === 0) continue;
    if (!layerNames.includes(keras.name)) fail(`layer ${keras.name} has no weights in the file (layer_names: ${layerNames.join(", ")})`);
    const group = `${root}/${keras.name}`;
    const weightNames = h5.attr(group, "weight_names");
    const list = Array.isArray(weightNames) ? weightNames : typeof weightNames === "string" ? [weightNames] : [];
    out.set(
      keras.name,
      list.map((wn) => {
        const w = h5.weight(`${group}/${wn}`, budget);
        budget -= w.values.length;
        return { ...w, name: wn.split("/").pop()!.replace(/:\d+$/, "") };
      }),
    );
  }
  return out;
};
