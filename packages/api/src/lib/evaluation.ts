import type { ClassificationReport, ConfusionMatrix } from "@fmnist/model";

export type { ClassificationReport, ClassMetrics, ConfusionMatrix } from "@fmnist/model";

// The evaluation JSON columns are checked on the way out: a malformed row shows as "no evaluation"
// instead of breaking a page.

export function asConfusionMatrix(value: unknown): ConfusionMatrix | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const n = value.length;
  for (const row of value) {
    if (!Array.isArray(row) || row.length !== n || !row.every((v) => typeof v === "number" && Number.isFinite(v))) return null;
  }
  return value as ConfusionMatrix;
}

export function asReport(value: unknown): ClassificationReport | null {
  if (!value || typeof value !== "object") return null;
  const r = value as Partial<ClassificationReport>;
  if (!Array.isArray(r.perClass) || typeof r.accuracy !== "number" || !r.macroAvg || !r.weightedAvg) return null;
  return r as ClassificationReport;
}
