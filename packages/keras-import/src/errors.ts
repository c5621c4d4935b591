/** Every refusal of the importer: a message meant for the person who brought the file (the CLI
 * prints it, the upload returns it as a 400), naming the layer and option where there is one. */
export class KerasImportError extends Error {
  override name = "KerasImportError";
}

export function fail(message: string): never {
  throw new KerasImportError(message);
}

/** Bounds that keep a hostile or broken file from exhausting memory before it is refused. */
export const LIMITS = {
  /** Whole file, and every zip member once decompressed. */
  maxFileBytes: 256 * 1024 * 1024,
  maxConfigBytes: 8 * 1024 * 1024,
  maxZipEntries: 1000,
  maxLayers: 1000,
  /** Parameters of the whole model (float32: 4 bytes each). */
  maxParams: 64 * 1024 * 1024,
  /** Any single dimension of a shape in the config (units, filters, input sizes). */
  maxDim: 65536,
} as const;
