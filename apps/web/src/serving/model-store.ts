// Registered models kept in memory: a name@alias or name/version resolves (through the registry,
// cached for a short time) to a version id; each version is loaded once from ARTIFACTS_DIR and
// predicted through its own dynamic batcher. When an alias moves in this process the cache is
// dropped at once (onRegistryChange); other replicas re-resolve within FMNIST_SERVE_RESOLVE_TTL_MS.
import { join, resolve, sep } from "node:path";
import { createCaller, createTRPCContext, onRegistryChange, type ResolvedVersion } from "@fmnist/api";
import { artifactsDir } from "@fmnist/db/config";
import { TRPCError } from "@trpc/server";
import { DynamicBatcher } from "./batcher";
import { type Engine, servingEngine } from "./engine";
import { ServeError } from "./errors";
import { batchingConfig, maxLoadedModels, resolveTtlMs } from "./limits";
import { UnservableModelError } from "./predictor";

export type ModelRef = { name: string; version: number; alias?: undefined } | { name: string; alias: string; version?: undefined };

export interface LoadedVersion {
  meta: ResolvedVersion;
  /** The model's parameter count. */
  params: number;
  batcher: DynamicBatcher;
  backend: string;
  /** Why this backend (and why not the faster ones). */
  backendNote: string;
  lastUsed: number;
}

let storeCount = 0;

function refKey(ref: ModelRef): string {
  return ref.alias !== undefined ? `${ref.name}@${ref.alias}` : `${ref.name}/${ref.version}`;
}

export class ModelStore {
  private resolved = new Map<string, { meta: ResolvedVersion; expires: number }>();
  private loaded = new Map<string, Promise<LoadedVersion>>();
  private readonly unsubscribe: () => void;
  private engine: Engine | null = null;
  /** Several stores (tests, a bench) may share the process-wide engine: their models are apart. */
  private readonly prefix = `store${++storeCount}:`;
  readonly stats = { loads: 0, disposed: 0 };

  constructor(private readonly api = createCaller(createTRPCContext())) {
    this.unsubscribe = onRegistryChange(({ name }) => {
      for (const key of this.resolved.keys()) if (key.startsWith(`${name}@`) || key.startsWith(`${name}/`)) this.resolved.delete(key);
    });
  }

  close() {
    this.unsubscribe();
    for (const [id, p] of this.loaded) p.then(() => this.engine?.dispose(this.prefix + id)).catch(() => {});
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
    const engine = await servingEngine();
    this.engine = engine;
    if (!meta.modelPath) throw new ServeError(409, `Version ${meta.version} of "${meta.name}" has no exported model file`);
    const root = resolve(artifactsDir());
    const path = resolve(join(root, meta.modelPath));
    if (!path.startsWith(root + sep)) throw new Error(`model path ${meta.modelPath} leaves ARTIFACTS_DIR`);
    let params: number;
    try {
      params = await engine.load(this.prefix + meta.id, path);
    } catch (e) {
      if (e instanceof UnservableModelError) throw new ServeError(409, `Version ${meta.version} of "${meta.name}" ${e.message}`);
      throw new ServeError(503, `Version ${meta.version} of "${meta.name}" could not be loaded (${e instanceof Error ? e.message : String(e)}); are ARTIFACTS_DIR and the database the same as the trainer's?`, { "retry-after": "30" });
    }
    this.stats.loads++;
    const batcher = new DynamicBatcher((input, n) => engine.predict(this.prefix + meta.id, input, n), batchingConfig());
    return { meta, params, batcher, backend: engine.backend.name, backendNote: engine.backend.note, lastUsed: Date.now() };
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
      for (const { id } of idle.slice(0, Math.max(0, this.loaded.size - limit))) {
        this.loaded.delete(id);
        this.engine?.dispose(this.prefix + id);
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
