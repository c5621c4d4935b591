// A RUNNING run's live progress, as the trainer writes it about once a second.

export interface LiveProgress {
  /** "evaluating" while an imported run predicts the test set (batch/batches count images). */
  phase?: string;
  epoch?: number;
  epochs?: number;
  batch?: number;
  batches?: number;
  imagesPerSec?: number;
  etaSeconds?: number;
  loss?: number;
  accuracy?: number;
}

/** The progress JSON column, or null when it is not an object (not started, older rows). */
export function asProgress(value: unknown): LiveProgress | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as LiveProgress) : null;
}

/** Share of all planned batches done: (finished epochs + this epoch's batches) / epochs. */
export function liveFraction(p: LiveProgress | null): number {
  if (p?.phase === "evaluating") return p.batches ? Math.min(1, Math.max(0, (p.batch ?? 0) / p.batches)) : 0;
  if (!p?.epoch || !p.epochs || !p.batches) return 0;
  return Math.min(1, Math.max(0, (p.epoch - 1 + (p.batch ?? 0) / p.batches) / p.epochs));
}
