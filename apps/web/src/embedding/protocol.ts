// Messages between the embedding page and its worker (embedding.worker.ts).
import type { Backend } from "~/classify/protocol";

export type EmbeddingRequest = { type: "start"; modelUrl: string; testSetUrl: string; wasmPath: string; backend: Backend | null; umap: boolean };

export interface Projection {
  /** x, y per test image, in test-set order. */
  coords: Float32Array;
  ms: number;
}

export type EmbeddingResponse =
  | { type: "status"; phase: "model" | "test-set" | "activations" | "pca" | "umap-neighbours" | "umap"; done: number; total: number }
  | {
      type: "activations";
      count: number;
      /** Width of the layer before the classifier, and its name. */
      width: number;
      layer: string;
      labels: Uint8Array;
      predictions: Uint8Array;
      backend: Backend;
      ms: number;
    }
  | { type: "pca"; projection: Projection; explained: [number, number] }
  | { type: "umap"; projection: Projection; epochs: number; neighboursMs: number }
  | { type: "error"; message: string };
