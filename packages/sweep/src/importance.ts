/**
 * Parameter importance as |Spearman rank correlation| between each parameter and the objective over
 * the finished trials (W&B's importance panel shows correlation next to its forest-based score).
 * Cheap, needs no model, and reads as "how monotonically does the objective follow this knob".
 * Choices are ranked by their mean objective first (target encoding), so a categorical parameter
 * whose best value sits in the middle still scores.
 */
export interface ImportanceRow {
  key: string;
  /** |rho| in [0, 1]. */
  importance: number;
  /** Signed rho for numbers (+: larger value, larger objective); null for choices. */
  correlation: number | null;
}

export function parameterImportance(trials: readonly { params: Record<string, unknown>; objective: number }[], keys: readonly string[]): ImportanceRow[] {
  const rows: ImportanceRow[] = [];
  for (const key of keys) {
    const xs = trials.filter((t) => key in t.params && Number.isFinite(t.objective));
    if (xs.length < 3) {
      rows.push({ key, importance: 0, correlation: null });
      continue;
    }
    const numeric = xs.every((t) => typeof t.params[key] === "number");
    let values: number[];
    if (numeric) values = xs.map((t) => t.params[key] as number);
    else {
      const groups = new Map<string, number[]>();
      for (const t of xs) {
        const k = String(t.params[key]);
        groups.set(k, [...(groups.get(k) ?? []), t.objective]);
      }
      const mean = new Map([...groups].map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length]));
      values = xs.map((t) => mean.get(String(t.params[key]))!);
    }
    const rho = spearman(values, xs.map((t) => t.objective));
    rows.push({ key, importance: Math.abs(rho), correlation: numeric ? rho : null });
  }
  return rows.sort((a, b) => b.importance - a.importance);
}

/** Average ranks (ties share the mean rank). */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rho: Pearson's correlation of the ranks; 0 when either side is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = ra.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    cov += (ra[i] - ma) * (rb[i] - mb);
    va += (ra[i] - ma) ** 2;
    vb += (rb[i] - mb) ** 2;
  }
  return va === 0 || vb === 0 ? 0 : cov / Math.sqrt(va * vb);
}
