// Registered models kept in memory: a name@alias or name/version resolves (through the registry,
// cached for a short time) to a version id; each version is loaded once from ARTIFACTS_DIR and
// predicted through its own dynamic batcher. When an alias moves in this process the cache is
// dropped at once (onRegistryChange); other replicas re-resolve within FMNIST_SERVE_RESOLVE_TTL_MS.
import { readFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { createCaller, createTRPCContext, onRegistryChange, type ResolvedVersion } from "@fmnist/api";
import { artifactsDir } from "@fmnist/db/config";
import * as tf from "@tensorflow/tfjs";
import { TRPCError } from "@trpc/server";
import { servingBackend } from "./backend";
import { DynamicBatcher } from "./batcher";
import { ServeError } from "./errors";
import { batchingConfig, maxLoadedModels, PIXELS, resolveTtlMs } from "./limits";

export type ModelRef = { name: string; version: number; alias?: undefined } | { name: string; alias: string; version?: undefined };

export interface LoadedVersion {
  meta: ResolvedVersion;
  model: tf.LayersModel;
  batcher: DynamicBatcher;
  backend: string;
  /** Why this backend (and why not the faster ones). */
  backendNote: string;
  lastUsed: number;
}

/** Reads model.json and its weight files from disk (tfjs has no file:// loader without tfjs-node). */
function fileHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(readFileSync(modelJsonPath, "utf8")) as tf.io.ModelJSON;
      const dir = resolve(modelJsonPath, "..");
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = resolve(dir, p);
          if (!file.startsWith(dir + sep)) throw new Error(`weights path ${p} leaves the model's directory`);
          buffers.push(readFileSync(file));
        }
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

function refKey(ref: ModelRef): string {
  return ref.alias !== undefined ? `${ref.name}@${ref.alias}` : `${ref.name}/${ref.version}`;
}

export class ModelStore {
  private resolved = new Map<string, { meta: ResolvedVersion; expires: number }>();
  private loaded = new Map<string, Promise<LoadedVersion>>();
  private readonly unsubscribe: () => void;
  readonly stats = { loads: 0, disposed: 0 };

  constructor(private readonly api = createCaller(createTRPCContext())) {
    this.unsubscribe = onRegistryChange(({ name }) => {
      for (const key of this.resolved.keys()) if (key.startsWith(`${name}@`) || key.startsWith(`${name}/`)) this.resolved.delete(key);
    });
  }

  close() {
    this.unsubscribe();
    for (const p of this.loaded.values()) p.then((l) => l.model.dispose()).catch(() => {});
    this.loaded.clear();
  }

  /** The registry's answer for a reference (404 for unknown model, version or alias). */
  async resolve(ref: ModelRef): Promise<ResolvedVersion> {
    const key = refKey(ref);
    const hit = this.resolved.get(key);
    if (hit && hit.expires > Date.now()) return hit.meta;
    let meta: ResolvedVersion;
    try {
      meta = await this.api.registry.resolve(ref.alias !== undefined ? { name: ref.name, alias: ref.alias } : { name: ref.name, version: ref.version });
    } catch (e) {
      if (e instanceof TRPCError && e.code === "NOT_FOUND") throw new ServeError(404, e.message);
      if (e instanceof TRPCError && e.code === "BAD_REQUEST") throw new ServeError(400, e.message);
      throw e;
    }
    this.resolved.set(key, { meta, expires: Date.now() + resolveTtlMs() });
    return meta;
  }

  /** The loaded version for a reference: loaded on first use, then kept. */
  async get(ref: ModelRef): Promise<LoadedVersion> {
    const meta = await this.resolve(ref);
    let entry = this.loaded.get(meta.id);
    if (!entry) {
      entry = this.load(meta);
      this.loaded.set(meta.id, entry);
      entry.catch(() => this.loaded.delete(meta.id));
      this.evict(meta.id);
    }
    const loaded = await entry;
    loaded.lastUsed = Date.now();
    // The alias the caller used is part of what it gets back; the version's data is the same.
    return loaded.meta.alias === meta.alias ? loaded : { ...loaded, meta };
  }

  private async load(meta: ResolvedVersion): Promise<LoadedVersion> {
    const backend = await servingBackend();
    if (!meta.modelPath) throw new ServeError(409, `Version ${meta.version} of "${meta.name}" has no exported model file`);
    const root = resolve(artifactsDir());
    const path = resolve(join(root, meta.modelPath));
    if (!path.startsWith(root + sep)) throw new Error(`model path ${meta.modelPath} leaves ARTIFACTS_DIR`);
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(fileHandler(path));
    } catch (e) {
      throw new ServeError(503, `Version ${meta.version} of "${meta.name}" could not be loaded (${e instanceof Error ? e.message : String(e)}); are ARTIFACTS_DIR and the database the same as the trainer's?`, { "retry-after": "30" });
    }
    const shape = model.inputs[0]?.shape ?? [];
    if (shape.length !== 4 || shape[1] !== 28 || shape[2] !== 28 || shape[3] !== 1) {
      model.dispose();
      throw new ServeError(409, `Version ${meta.version} of "${meta.name}" expects input ${JSON.stringify(shape)}, not [null,28,28,1]`);
    }
    const predict = (input: Float32Array, n: number) =>
      tf.tidy(() => (model.predict(tf.tensor4d(input, [n, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array);
    predict(new Float32Array(PIXELS), 1); // warm-up: first predict compiles/allocates
    this.stats.loads++;
    return { meta, model, batcher: new DynamicBatcher(predict, batchingConfig()), backend: backend.name, backendNote: backend.note, lastUsed: Date.now() };
  }

  /** Keeps at most maxLoadedModels() versions: disposes the least recently used idle ones. */
  private evict(keep: string) {
    const limit = maxLoadedModels();
    if (this.loaded.size <= limit) return;
    void Promise.allSettled([...this.loaded.entries()].map(async ([id, p]) => ({ id, l: await p }))).then((all) => {
      const idle = all
        .flatMap((r) => (r.status === "fulfilled" ? [r.value] : []))
        .filter(({ id, l }) => id !== keep && l.batcher.queuedImages === 0)
        .sort((a, b) => a.l.lastUsed - b.l.lastUsed);
      for (const { id, l } of idle.slice(0, Math.max(0, this.loaded.size - limit))) {
        this.loaded.delete(id);
        l.model.dispose();
        this.stats.disposed++;
      }
    });
  }

  loadedVersionIds(): string[] {
    return [...this.loaded.keys()];
  }
}

/** One store per server process (kept on globalThis: each route may get its own module copy). */
export function modelStore(): ModelStore {
  const g = globalThis as { __fmnistModelStore?: ModelStore };
  g.__fmnistModelStore ??= new ModelStore();
  return g.__fmnistModelStore;
}
