import type { ConfusionMatrix } from "@fmnist/model";

export interface CellChange {
  trueLabel: number;
  predLabel: number;
  a: number;
  b: number;
  /** b - a */
  delta: number;
  /** Fewer mistakes off the diagonal, more hits on it. */
  better: boolean;
}

/** Cell-wise B - A of two confusion matrices of the same shape. */
export function diffMatrix(a: ConfusionMatrix, b: ConfusionMatrix): ConfusionMatrix {
  if (a.length !== b.length) throw new Error(`confusion matrices differ in size: ${a.length} vs ${b.length}`);
  return a.map((row, i) => row.map((v, j) => b[i][j] - v));
}

/** Every cell that changed, biggest moves first (diagonal included: hits gained or lost). */
export function changedCells(a: ConfusionMatrix, b: ConfusionMatrix): CellChange[] {
  const out: CellChange[] = [];
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a.length; j++) {
      const delta = b[i][j] - a[i][j];
      if (delta !== 0) out.push({ trueLabel: i, predLabel: j, a: a[i][j], b: b[i][j], delta, better: i === j ? delta > 0 : delta < 0 });
    }
  }
  return out.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.trueLabel - y.trueLabel || x.predLabel - y.predLabel);
}

/** Per-class F1 of B minus A (same length arrays). */
export function f1Deltas(a: readonly number[], b: readonly number[]): number[] {
  return a.map((v, i) => (b[i] ?? 0) - v);
}

/** Flattens a config object to dotted keys ({dataset: {dir}} -> "dataset.dir"). */
export function flattenConfig(value: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) Object.assign(out, flattenConfig(v as Record<string, unknown>, key));
    else out[key] = v;
  }
  return out;
}

export interface ParamRow {
  key: string;
  /** One value per run, in the order of the runs (null where a run does not have the key). */
  values: unknown[];
  differs: boolean;
}

/** Parameters side by side; a row differs when any two runs disagree. Keys keep first-seen order. */
export function paramTable(configs: Record<string, unknown>[]): ParamRow[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys: string[] = [];
  for (const f of flat) for (const k of Object.keys(f)) if (!keys.includes(k)) keys.push(k);
  return keys.map((key) => {
    const values = flat.map((f) => (key in f ? f[key] : null));
    const first = JSON.stringify(values[0]);
    return { key, values, differs: values.some((v) => JSON.stringify(v) !== first) };
  });
}
