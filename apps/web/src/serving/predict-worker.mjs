// The inference thread: owns tfjs and the loaded models, so that predicting a batch never blocks
// the thread that reads and answers HTTP requests (which meanwhile gathers the next batch).
// Plain JavaScript, loading the TypeScript predictor with tsx, so no bundler has to handle it.
import { parentPort } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

const { loadPredictor, UnservableModelError } = await tsImport("./predictor.ts", import.meta.url);
const { servingBackend } = await tsImport("./backend.ts", import.meta.url);
const models = new Map();
/** Each model's shared staging buffer (its batcher's), posted once ("share"). */
const shared = new Map();

const fail = (id, e) => parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e), unservable: e instanceof UnservableModelError });

parentPort.on("message", async (msg) => {
  const { id } = msg;
  try {
    if (msg.type === "backend") {
      parentPort.postMessage({ id, backend: await servingBackend() });
    } else if (msg.type === "load") {
      const p = await loadPredictor(msg.path);
      models.get(msg.key)?.dispose();
      models.set(msg.key, p);
      parentPort.postMessage({ id, params: p.params });
    } else if (msg.type === "share") {
      shared.set(msg.key, msg.buffer);
    } else if (msg.type === "predict") {
      const p = models.get(msg.key);
      if (!p) throw new Error(`model ${msg.key} is not loaded in the inference thread`);
      const input = msg.input ?? new Float32Array(shared.get(msg.key), msg.offset, msg.n * 784);
      const out = p.predict(input, msg.n);
      parentPort.postMessage({ id, out: out.buffer }, [out.buffer]);
    } else if (msg.type === "dispose") {
      models.get(msg.key)?.dispose();
      models.delete(msg.key);
      shared.delete(msg.key);
      parentPort.postMessage({ id });
    }
  } catch (e) {
    fail(id, e);
  }
});
parentPort.postMessage({ ready: true });
