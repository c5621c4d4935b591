/**
 * A run's hyper-parameters as RunParam rows (one per scalar field of its config, as MLflow keeps
 * params): numbers and booleans (0/1) in numValue so they sort numerically, strings in textValue.
 * The run name is not a parameter; nested objects and arrays are not scalars. The migration that
 * added RunParam backfilled existing runs with the same rule.
 */
export type RunParamRow = { key: string; numValue: number | null; textValue: string | null };

export function runParamRows(config: unknown): RunParamRow[] {
  if (config === null || typeof config !== "object" || Array.isArray(config)) return [];
  const rows: RunParamRow[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (key === "name") continue;
    if (typeof value === "number" && Number.isFinite(value)) rows.push({ key, numValue: value, textValue: null });
    else if (typeof value === "boolean") rows.push({ key, numValue: value ? 1 : 0, textValue: null });
    else if (typeof value === "string") rows.push({ key, numValue: null, textValue: value });
  }
  return rows;
}
