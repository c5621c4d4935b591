import { NUM_CLASSES } from "./classes";

export type ConfusionMatrix = number[][];

export interface ClassMetrics {
  label: number;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  perClass: ClassMetrics[];
  accuracy: number;
  macroAvg: Omit<ClassMetrics, "label">;
  weightedAvg: Omit<ClassMetrics, "label">;
}

function assertSameLength(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length) {
    throw new Error(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  }
}

export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  assertSameLength(yTrue, yPred);
  if (yTrue.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/** Rows are true classes, columns predicted classes (scikit-learn's convention). */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses = NUM_CLASSES,
): ConfusionMatrix {
  assertSameLength(yTrue, yPred);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) {
      throw new RangeError(`label out of range at index ${i}: true=${t} predicted=${p}`);
    }
    m[t][p]++;
  }
  return m;
}

/** Per-class precision / recall / F1 with macro and support-weighted averages, computed the way
 * scikit-learn's classification_report does (0 where a denominator is 0, zero_division=0). */
export function classificationReport(cm: ConfusionMatrix): ClassificationReport {
  const n = cm.length;
  const total = cm.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
  let correct = 0;
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < n; c++) {
    const tp = cm[c][c];
    correct += tp;
    const support = cm[c].reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < n; r++) predicted += cm[r][c];
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass.push({ label: c, precision, recall, f1, support });
  }
  const avg = (weight: (m: ClassMetrics) => number) => {
    const wSum = perClass.reduce((s, m) => s + weight(m), 0);
    const pick = (k: "precision" | "recall" | "f1") =>
      wSum === 0 ? 0 : perClass.reduce((s, m) => s + m[k] * weight(m), 0) / wSum;
    return { precision: pick("precision"), recall: pick("recall"), f1: pick("f1"), support: total };
  };
  return {
    perClass,
    accuracy: total === 0 ? 0 : correct / total,
    macroAvg: avg(() => 1),
    weightedAvg: avg((m) => m.support),
  };
}

/** Index of the largest of `length` values from `start` (the first one wins a tie): the predicted
 * class of one row of probabilities. */
export function argmax(values: ArrayLike<number>, start = 0, length = values.length - start): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[start + i] > values[start + best]) best = i;
  return best;
}

/** Index of the largest value in each row of a [rows x cols] row-major probability array. */
export function argmaxRows(probs: ArrayLike<number>, cols = NUM_CLASSES): Int32Array {
  const rows = Math.floor(probs.length / cols);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = argmax(probs, r * cols, cols);
  return out;
}
