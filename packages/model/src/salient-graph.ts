// IS-Net's graph with its input side freed (see ./salient): the shipped graph takes exactly
// 1024x1024 because every upsampling in it was traced with constant output sizes. Editing the ONNX
// protobuf (onnx-proto: the official onnx.proto compiled for protobufjs) is done once, in Node,
// before the graph is handed to onnxruntime; kept apart from ./salient so the page's worker does not
// bundle protobufjs.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** The shipped graph's traced input side. */
const TRACED_SIDE = 1024;

// Decoded messages are classes whose repeated fields are always arrays.
type Graph = InstanceType<typeof onnx.GraphProto>;
type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;

function int64s(t: Tensor): number[] {
  if (t.int64Data?.length) return t.int64Data.map(Number);
  const raw = t.rawData as Uint8Array;
  return Array.from(new BigInt64Array(raw.slice().buffer)).map(Number);
}

function attr(node: Node, name: string): number[] | number | undefined {
  const a = node.attribute.find((x) => x.name === name);
  if (!a) return undefined;
  return a.ints?.length ? a.ints.map(Number) : Number(a.i);
}

/** Spatial side of every tensor when the input is `side` square, propagated through the ops
 * IS-Net uses (convolutions and max-pooling change it; Resize sets it; the rest keep it). */
function spatialSides(nodes: Node[], inputName: string, side: number, inits: Map<string, Tensor>): Map<string, number> {
  const sides = new Map<string, number>([[inputName, side]]);
  for (const n of nodes) {
    const known = n.input.find((i) => sides.has(i));
    if (known === undefined) continue;
    const s = sides.get(known) as number;
    let out = s;
    if (n.opType === "Conv" || n.opType === "ConvInteger" || n.opType === "MaxPool") {
      const weight = n.opType === "MaxPool" ? undefined : inits.get(n.input[1]);
      const k = ((attr(n, "kernel_shape") as number[] | undefined) ?? (weight ? weight.dims.map(Number).slice(2) : [1]))[0];
      const stride = ((attr(n, "strides") as number[] | undefined) ?? [1])[0];
      const dilation = ((attr(n, "dilations") as number[] | undefined) ?? [1])[0];
      const pads = (attr(n, "pads") as number[] | undefined) ?? [0, 0, 0, 0];
      const span = s + pads[0] + pads[2] - dilation * (k - 1) - 1;
      out = (attr(n, "ceil_mode") === 1 ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
    } else if (n.opType === "Resize") {
      const sizes = n.input[3] ? inits.get(n.input[3]) : undefined;
      if (sizes) out = int64s(sizes)[2];
    }
    for (const o of n.output) sides.set(o, out);
  }
  return sides;
}

/**
 * IS-Net's graph with its input side left free: each Resize's constant output size (traced at
 * 1024) becomes the equivalent scale, found by propagating the traced side through the graph.
 * Checked by salient.test.ts: at 1024 the rewritten graph gives the shipped graph's mask.
 */
export function freeInputSize(model: Uint8Array): Uint8Array {
  const m = onnx.ModelProto.decode(model);
  const g = m.graph as Graph | null;
  if (!g) throw new Error("the segmentation model has no graph");
  const nodes = g.node as Node[];
  const inits = new Map((g.initializer as Tensor[]).map((t) => [t.name, t]));
  const input = g.input.find((i) => !inits.has(i.name ?? ""));
  if (!input) throw new Error("the segmentation model has no input");
  const sides = spatialSides(nodes, input.name ?? "", TRACED_SIDE, inits);
  let k = 0;
  for (const n of nodes) {
    if (n.opType !== "Resize" || !n.input[3]) continue;
    const sizes = inits.get(n.input[3]);
    const from = sides.get(n.input[0]);
    if (!sizes || !from) throw new Error(`cannot free the input size: ${n.name} resizes to a computed size`);
    const to = int64s(sizes);
    const name = `free_input_scales_${k++}`;
    g.initializer.push(onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims: [4], floatData: [1, 1, to[2] / from, to[3] / from] }));
    n.input = [n.input[0], n.input[1] ?? "", name];
  }
  const free = (name: string) => onnx.TensorShapeProto.Dimension.create({ dimParam: name });
  for (const v of [input, ...g.output]) {
    const dims = v.type?.tensorType?.shape?.dim;
    if (dims?.length === 4) {
      dims[2] = free(`${v.name}_height`);
      dims[3] = free(`${v.name}_width`);
    }
  }
  // Traced intermediate shapes would contradict the new sizes; the old sizes are used no more.
  g.valueInfo = [];
  const used = new Set(nodes.flatMap((n) => n.input));
  g.initializer = g.initializer.filter((t) => used.has(t.name ?? ""));
  return onnx.ModelProto.encode(m).finish();
}
