/** Reading a run's config JSON defensively: rows come from several trainer versions and the
 * dashboard must show what is there, not crash on what is not. */
export type RunConfig = Record<string, unknown>;

export function asConfig(value: unknown): RunConfig {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as RunConfig) : {};
}

export function configNumber(config: RunConfig, key: string): number | null {
  const v = config[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The dataset directory that rows written before Run.datasetDir existed kept in their config. */
export function configDatasetDir(config: RunConfig): string | null {
  const dataset = config.dataset;
  if (dataset && typeof dataset === "object" && "dir" in dataset) {
    const dir = (dataset as { dir?: unknown }).dir;
    return typeof dir === "string" && dir.length > 0 ? dir : null;
  }
  return null;
}
