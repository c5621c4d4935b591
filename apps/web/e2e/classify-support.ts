// Shared by classify.spec.ts and classify-bench.ts: the model as Node sees it (stock tfjs, the same
// preprocessing as the page), PNG files made in Node, and how to wait for the page's answers.
import { crc32, createDeflate } from "node:zlib";
import { argmax, preprocessPhoto } from "@fmnist/model";
import { expect, type Page } from "@playwright/test";
import * as tf from "@tensorflow/tfjs";

let backendReady: Promise<unknown> | null = null;

/** The run's exported model, loaded in Node over HTTP from the running app (tfjs cpu backend). */
export async function loadNodeModel(baseURL: string, runId: string): Promise<tf.LayersModel> {
  backendReady ??= tf.setBackend("cpu").then(() => tf.ready());
  await backendReady;
  return tf.loadLayersModel(`${baseURL}/api/artifacts/${runId}/model.json`);
}

/** Test image pixels (784 uint8) through the page's preprocessing (a 28x28 dark-background picture
 * passes through as pixels / 255), then the model: the ten probabilities. */
export function nodePredict(model: tf.LayersModel, pixels: Uint8Array): { input: Float32Array; probabilities: number[] } {
  const rgba = new Uint8ClampedArray(784 * 4);
  for (let i = 0; i < 784; i++) rgba.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
  const { input } = preprocessPhoto(rgba, 28, 28);
  const probabilities = Array.from(tf.tidy(() => (model.predict(tf.tensor4d(input, [1, 28, 28, 1])) as tf.Tensor).dataSync()));
  return { input, probabilities };
}

export { argmax };

function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A valid, all-black greyscale PNG of width x height, deflated as a stream: 20000x20000 is
 * 400 MB of pixels but a ~400 KB file. */
export async function blackPng(width: number, height: number): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, no filter, no interlace
  const rowsPerChunk = Math.max(1, Math.floor(4_000_000 / (width + 1)));
  const rows = Buffer.alloc((width + 1) * rowsPerChunk);
  const deflate = createDeflate();
  const parts: Buffer[] = [];
  deflate.on("data", (c: Buffer) => parts.push(c));
  const ended = new Promise((resolve, reject) => {
    deflate.on("end", resolve);
    deflate.on("error", reject);
  });
  for (let y = 0; y < height; y += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, height - y);
    if (!deflate.write(n === rowsPerChunk ? rows : rows.subarray(0, (width + 1) * n))) await new Promise((r) => deflate.once("drain", r));
  }
  deflate.end();
  await ended;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk("IHDR", ihdr), pngChunk("IDAT", Buffer.concat(parts)), pngChunk("IEND", new Uint8Array(0))]);
}

/** Opens /classify for a run and waits for its model to be loaded. */
export async function openClassify(page: Page, query: string): Promise<{ backend: string; loadMs: number }> {
  await page.goto(`/classify${query}`);
  await expect(page.getByTestId("model-status")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  return {
    backend: (await page.getByTestId("model-backend").textContent()) ?? "",
    loadMs: Number(await page.getByTestId("model-load-ms").getAttribute("data-value")),
  };
}

/** Waits until the result shown is the one for `source` (a file name, "drawing", "test image #n");
 * a page's first photo with IS-Net (the default) also waits for the network's download. */
export async function expectResultFor(page: Page, source: string, timeout?: number) {
  await expect(page.getByTestId("result")).toHaveAttribute("data-source", source, { timeout });
}

export async function shownPrediction(page: Page): Promise<{ label: number; inferenceMs: number; top: number }> {
  const label = Number(await page.getByTestId("top-class").getAttribute("data-label"));
  return {
    label,
    inferenceMs: Number(await page.getByTestId("inference-ms").getAttribute("data-value")),
    top: Number(await page.getByTestId(`prob-${label}`).getAttribute("data-value")),
  };
}
