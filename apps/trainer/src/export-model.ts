import { mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";

export interface ExportedModel {
  dir: string;
  files: { name: string; sizeBytes: number }[];
}

/** Saves in the standard tfjs LayersModel layout (model.json + weights.bin), loadable by stock
 * `tf.loadLayersModel` in Node and browsers. Plain tfjs has no file:// handler without tfjs-node,
 * so the artifacts are written here; files land under temporary names first (atomic for readers). */
export async function exportLayersModel(model: tf.LayersModel, dir: string): Promise<ExportedModel> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = Buffer.from(artifacts.weightData as ArrayBuffer);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
      };
      writeFileSync(join(dir, "weights.bin.tmp"), weights);
      writeFileSync(join(dir, "model.json.tmp"), JSON.stringify(modelJson));
      renameSync(join(dir, "weights.bin.tmp"), join(dir, "weights.bin"));
      renameSync(join(dir, "model.json.tmp"), join(dir, "model.json"));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  return {
    dir,
    files: ["model.json", "weights.bin"].map((name) => ({ name, sizeBytes: statSync(join(dir, name)).size })),
  };
}
