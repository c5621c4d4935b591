// What a run of kind "imported" records about its file, the same for the CLI, the worker and the
// dashboard's upload (the trainer and the API both create such runs).
import type { ImportedKerasModel, KerasFormat } from "./import";

/** The stored copy of the original file, relative to the run's artifact folder. */
export const sourceFileName = (format: KerasFormat | string) => (format === "h5" ? "source.h5" : "source.keras");

/** The run's fields: what the person typed as its name (else the file name and Keras version), the
 * file's facts as promoted columns, and the requested "config" (name and the file's description). */
export function importedRunFields(imported: ImportedKerasModel, fileName: string, sha256: string, requestedName?: string) {
  const name = requestedName?.trim().slice(0, 200) || `${fileName} (Keras ${imported.kerasVersion})`;
  const source = {
    fileName,
    sha256,
    format: imported.format,
    kerasVersion: imported.kerasVersion,
    modelClass: imported.modelClass,
    modelName: imported.modelName,
    params: imported.paramCount,
    inputShape: imported.kerasInputShape,
    layers: imported.layers,
  };
  return {
    name,
    kind: "imported",
    architecture: "imported",
    config: { name, source },
    seed: 0,
    epochsPlanned: 0,
    sourceFileName: fileName,
    sourceSha256: sha256,
    sourceFormat: imported.format,
    kerasVersion: imported.kerasVersion,
  };
}
