import { fail, LIMITS } from "./errors";

/** One layer of a Keras model config, normalised across Keras 2 and Keras 3 serialisations. */
export interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  /** The tensors this layer is called on: [layer name, node index, tensor index]. */
  inputs: [string, number, number][];
}

export interface KerasModelSpec {
  /** "Sequential" or "Functional" (Keras 2 calls the latter "Model"). */
  kind: "Sequential" | "Functional";
  name: string;
  layers: KerasLayer[];
  /** Batch shape of the single model input, e.g. [null, 28, 28, 1]. */
  inputShape: (number | null)[];
  inputName: string;
  outputs: [string, number, number][];
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export function parseModelConfig(text: string, where: string): KerasModelSpec {
  if (text.length > LIMITS.maxConfigBytes) fail(`${where} is ${text.length} bytes (limit ${LIMITS.maxConfigBytes})`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`${where} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObj(json) || typeof json.class_name !== "string") fail(`${where} is not a Keras model config (no class_name)`);
  const cls = json.class_name;
  if (cls === "Sequential") return parseSequential(json, where);
  if (cls === "Functional" || cls === "Model") return parseFunctional(json, where);
  fail(`${where}: the model class ${cls} is not supported (only Sequential and functional models are)`);
}

function rawLayers(json: Json, where: string): Json[] {
  // Keras 2.2 and older wrote a Sequential's config as the bare list of layers.
  const layers = Array.isArray(json.config) ? json.config : isObj(json.config) ? json.config.layers : undefined;
  if (!Array.isArray(layers) || layers.length === 0) fail(`${where}: the model config lists no layers`);
  if (layers.length > LIMITS.maxLayers) fail(`${where}: ${layers.length} layers (limit ${LIMITS.maxLayers})`);
  return layers.map((l, i) => {
    if (!isObj(l) || typeof l.class_name !== "string" || !isObj(l.config)) fail(`${where}: layer ${i} is not a Keras layer config`);
    return l;
  });
}

function layerName(l: Json, i: number): string {
  const n = (l.config as Json).name ?? l.name;
  return typeof n === "string" && n.length > 0 ? n : `layer_${i}`;
}

function batchShapeOf(cfg: Json): (number | null)[] | undefined {
  const shape = cfg.batch_shape ?? cfg.batch_input_shape;
  if (Array.isArray(shape)) return shape as (number | null)[];
  if (Array.isArray(cfg.input_shape)) return [null, ...(cfg.input_shape as (number | null)[])];
  return undefined;
}

function checkShape(shape: (number | null)[], where: string): (number | null)[] {
  if (shape.length > 6 || shape.some((d, i) => (d === null ? i !== 0 : !Number.isInteger(d) || d < 1 || d > LIMITS.maxDim))) {
    fail(`${where}: absurd input shape [${shape.map(String).join(", ")}]`);
  }
  return shape;
}

function parseSequential(json: Json, where: string): KerasModelSpec {
  const raw = rawLayers(json, where);
  const name = (isObj(json.config) && typeof json.config.name === "string" && json.config.name) || "sequential";
  let inputShape: (number | null)[] | undefined;
  let inputName = `${name}_input`;
  const layers: KerasLayer[] = [];
  raw.forEach((l, i) => {
    const cfg = l.config as Json;
    if (l.class_name === "InputLayer") {
      if (i !== 0) fail(`${where}: an InputLayer in the middle of a Sequential model (layer ${i})`);
      inputShape = batchShapeOf(cfg);
      inputName = layerName(l, i);
      return;
    }
    // Keras 2 without an InputLayer: the first layer carries batch_input_shape.
    if (i === 0 && !inputShape) inputShape = batchShapeOf(cfg);
    const prev = layers.length === 0 ? inputName : layers[layers.length - 1].name;
    layers.push({ className: l.class_name as string, name: layerName(l, i), config: cfg, inputs: [[prev, 0, 0]] });
  });
  if (!inputShape && isObj(json.config) && Array.isArray(json.config.build_input_shape)) inputShape = json.config.build_input_shape as (number | null)[];
  if (!inputShape) fail(`${where}: the Sequential model declares no input shape (no InputLayer, batch_input_shape or build_input_shape)`);
  const last = layers[layers.length - 1];
  if (!last) fail(`${where}: the model has no layers besides its input`);
  return { kind: "Sequential", name, layers, inputShape: checkShape(inputShape, where), inputName, outputs: [[last.name, 0, 0]] };
}

/** Keras 2: [[["name", node, tensor, {kwargs}], ...]]; Keras 3: [{args: [KerasTensor | [KerasTensor...]], kwargs}]. */
function parseInboundNodes(nodes: unknown, layer: string, where: string): [string, number, number][] {
  if (nodes === undefined || (Array.isArray(nodes) && nodes.length === 0)) return [];
  if (!Array.isArray(nodes)) fail(`${where}: layer ${layer} has unreadable inbound_nodes`);
  if (nodes.length > 1) fail(`${where}: layer ${layer} is shared (called ${nodes.length} times); shared layers are not supported`);
  const node = nodes[0];
  const out: [string, number, number][] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (typeof v[0] === "string" && typeof v[1] === "number" && typeof v[2] === "number") out.push([v[0], v[1], v[2]]);
      else for (const x of v) visit(x);
    } else if (isObj(v)) {
      if (v.class_name === "__keras_tensor__" && isObj(v.config) && Array.isArray(v.config.keras_history)) {
        const [n, a, b] = v.config.keras_history as [string, number, number];
        out.push([n, a, b]);
      } else if (Array.isArray(v.args)) visit(v.args);
    }
  };
  visit(node);
  if (isObj(node) && isObj(node.kwargs) && Object.values(node.kwargs).some((x) => isObj(x) && x.class_name === "__keras_tensor__")) {
    fail(`${where}: layer ${layer} takes tensors as keyword arguments, which is not supported`);
  }
  return out;
}

function triples(v: unknown, what: string, where: string): [string, number, number][] {
  if (!Array.isArray(v) || v.length === 0) fail(`${where}: the functional model has no ${what}`);
  // Keras 3 writes a single input or output as one triple rather than a list of them.
  const list = typeof v[0] === "string" ? [v] : v;
  return list.map((t) => {
    if (!Array.isArray(t) || typeof t[0] !== "string") fail(`${where}: unreadable ${what}`);
    return [t[0], Number(t[1] ?? 0), Number(t[2] ?? 0)] as [string, number, number];
  });
}

function parseFunctional(json: Json, where: string): KerasModelSpec {
  const raw = rawLayers(json, where);
  const cfg = json.config as Json;
  const name = (typeof cfg.name === "string" && cfg.name) || "model";
  const inputs = triples(cfg.input_layers, "input_layers", where);
  const outputs = triples(cfg.output_layers, "output_layers", where);
  if (inputs.length !== 1) fail(`${where}: the model has ${inputs.length} inputs; only single-input models are supported`);
  if (outputs.length !== 1) fail(`${where}: the model has ${outputs.length} outputs; only single-output models are supported`);
  let inputShape: (number | null)[] | undefined;
  const layers: KerasLayer[] = [];
  raw.forEach((l, i) => {
    const lname = layerName(l, i);
    if (l.class_name === "InputLayer") {
      if (lname !== inputs[0][0]) fail(`${where}: input layer ${lname} is not the model's input`);
      inputShape = batchShapeOf(l.config as Json);
      return;
    }
    layers.push({ className: l.class_name as string, name: lname, config: l.config as Json, inputs: parseInboundNodes(l.inbound_nodes, lname, where) });
  });
  if (!inputShape) fail(`${where}: the functional model has no InputLayer with a shape`);
  return { kind: "Functional", name, layers, inputShape: checkShape(inputShape, where), inputName: inputs[0][0], outputs };
}
