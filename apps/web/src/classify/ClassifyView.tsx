"use client";

import type { RouterOutputs } from "@fmnist/api";
import { argmax } from "@fmnist/model/metrics";
import { skipToken, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import { LOCALE_OPTIONS, Segmented } from "~/components/Segmented";
import { StatusBadge } from "~/components/StatusBadge";
import { classNames, type Locale } from "~/lib/classes";
import { pct } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { ClassifierClient, ClassifierError } from "./classifier-client";
import { DrawingPad } from "./DrawingPad";
import { ModelInputPreview, OriginalPreview } from "./InputPreview";
import { ProbabilityBars } from "./ProbabilityBars";
import { BACKENDS, type Backend, type Classification, DEFAULT_SEGMENTATION, type LoadedModel, type Saliency, SEGMENTATION_LABELS, SEGMENTATIONS, type Segmentation } from "./protocol";
import { SaliencyInput } from "./Saliency";
import { TestSetPanel } from "./TestSetPanel";
import { verdictOf } from "./verdict";
import "./classify.css";

type Run = RouterOutputs["runs"]["byId"];

type ModelState = { status: "none" } | { status: "loading"; since: number } | { status: "ready"; model: LoadedModel } | { status: "error"; message: string };

interface Shown {
  source: string;
  result: Classification;
  /** For the drawing pad, whose canvas is the original. */
  canvas: HTMLCanvasElement | null;
  trueLabel: number | null;
  /** Increases with every request: tells two results for the same source apart. */
  seq: number;
}

const hasModel = (run: Run) => run.artifacts.some((a) => a.kind === "tfjs-layers-model");
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toString());

export function ClassifyView() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const runParam = params.get("run");
  const backendParam = params.get("backend");
  const backend = BACKENDS.includes(backendParam as Backend) ? (backendParam as Backend) : null;
  const segmentParam = params.get("segment");
  const segmentation = SEGMENTATIONS.includes(segmentParam as Segmentation) ? (segmentParam as Segmentation) : DEFAULT_SEGMENTATION;

  const models = useQuery(trpc.runs.models.queryOptions());
  const registry = useQuery(trpc.registry.list.queryOptions());
  const registered = registeredEntries(registry.data);
  // ?model=<name>@<alias> or <name>/<version>; with neither ?model nor ?run the page opens on the
  // first model's @production, else on the best run.
  const modelParam = params.get("model");
  const regEntry = modelParam
    ? findRegistered(registered, modelParam)
    : runParam
      ? null
      : (registered.find((e) => e.aliases.includes("production")) ?? null);
  const waitingForRegistry = !runParam && registry.isPending;
  const runId = regEntry?.runId ?? runParam ?? (waitingForRegistry ? null : (models.data?.[0]?.id ?? null));
  const run = useQuery(trpc.runs.byId.queryOptions(runId ? { id: runId } : skipToken));

  const [client, setClient] = useState<ClassifierClient | null>(null);
  const [modelState, setModelState] = useState<ModelState>({ status: "none" });
  const [reload, setReload] = useState(0);
  const [shown, setShown] = useState<Shown | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  // Whether the worker has loaded IS-Net yet: until then a photo's wait includes its download.
  const [segmenterUsed, setSegmenterUsed] = useState(false);
  const [inputError, setInputError] = useState<string | null>(null);
  const [locale, setLocale] = useState<Locale>("en");
  const latest = useRef(0);

  useEffect(() => {
    const c = new ClassifierClient();
    c.onCrash = (message) => setModelState({ status: "error", message });
    setClient(c);
    return () => c.dispose();
  }, []);

  const runData = run.data && run.data.id === runId ? run.data : null;
  const modelUrl = runData && hasModel(runData) ? `/api/artifacts/${encodeURIComponent(runData.id)}/${runData.artifacts.find((a) => a.kind === "tfjs-layers-model")?.file ?? "model.json"}` : null;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `reload` is the "load again" button
  useEffect(() => {
    setShown(null);
    setInputError(null);
    if (!client || !modelUrl) {
      setModelState({ status: "none" });
      return;
    }
    let stale = false;
    setModelState({ status: "loading", since: performance.now() });
    client.load(modelUrl, backend).then(
      (model) => !stale && setModelState({ status: "ready", model }),
      (e: unknown) => !stale && setModelState({ status: "error", message: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      stale = true;
    };
  }, [client, modelUrl, backend, reload]);

  const ready = modelState.status === "ready";

  /** Runs one classification; only the latest request's outcome is shown. */
  const classify = useCallback(
    async (source: string, work: () => Promise<{ result: Classification; trueLabel: number | null; canvas?: HTMLCanvasElement | null }>) => {
      const token = ++latest.current;
      setBusy(source);
      setInputError(null);
      try {
        const { result, trueLabel, canvas } = await work();
        if (result.segmentation !== "border") setSegmenterUsed(true);
        if (token === latest.current) setShown({ source, result, trueLabel, canvas: canvas ?? null, seq: token });
        else result.preview?.close();
      } catch (e) {
        if (token === latest.current) {
          setShown(null);
          setInputError(e instanceof ClassifierError || e instanceof Error ? e.message : String(e));
        }
      } finally {
        if (token === latest.current) setBusy(null);
      }
    },
    [],
  );

  const classifyFile = useCallback(
    (file: File | Blob, name: string, trueLabel: number | null = null) => {
      if (!client) return;
      void classify(name, async () => ({ result: await client.classifyFile(file, name, segmentation), trueLabel }));
    },
    [client, classify, segmentation],
  );

  const testImage = useCallback(
    (index: number) => {
      if (!client || !runData) return;
      void classify(`test image #${index}`, async () => {
      const res = await fetch(`/api/dataset/test-images/${index}?run=${encodeURIComponent(runData.id)}`);
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: string } | null;
        throw new Error(`Test image #${index} is not available: ${body?.error ?? `HTTP ${res.status}`}`);
      }
      const label = Number(res.headers.get("x-label"));
      // A 28x28 test image is the model's input as it is: nothing to segment.
      return { result: await client.classifyFile(await res.blob(), `test image #${index}.png`, "border"), trueLabel: Number.isInteger(label) ? label : null };
      });
    },
    [client, runData, classify],
  );
  const randomTestImage = () => testImage(Math.floor(Math.random() * Math.max(1, runData?.evaluation?.numExamples ?? 0)));

  // ?test=N classifies test image N once the model is ready (the notebook's predict_image(N)).
  const testParam = params.get("test");
  const requested = testParam != null && /^\d{1,6}$/.test(testParam) ? Number(testParam) : null;
  const autoDone = useRef<string | null>(null);
  useEffect(() => {
    if (testParam == null) return;
    if (requested == null) {
      setInputError(`?test=${testParam} is not a test image index (a whole number from 0)`);
      return;
    }
    const key = `${runData?.id}:${requested}`;
    if (!ready || !runData || autoDone.current === key) return;
    autoDone.current = key;
    testImage(requested);
  }, [ready, runData, requested, testParam, testImage]);

  // Paste anywhere on the page; drops outside the drop zone must not navigate away.
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const file = e.clipboardData?.files?.[0];
      if (file) {
        e.preventDefault();
        if (ready) classifyFile(file, file.name || "pasted picture");
        else setInputError("Wait for the model to load, then paste again.");
      } else if (e.clipboardData?.types.includes("text/plain")) {
        setInputError("The clipboard holds text, not a picture. Copy an image (e.g. right-click → Copy image) and paste again.");
      }
    };
    const block = (e: DragEvent) => e.preventDefault();
    window.addEventListener("paste", onPaste);
    window.addEventListener("dragover", block);
    window.addEventListener("drop", block);
    return () => {
      window.removeEventListener("paste", onPaste);
      window.removeEventListener("dragover", block);
      window.removeEventListener("drop", block);
    };
  }, [ready, classifyFile]);

  const select = (value: string) => {
    const next = new URLSearchParams(params.toString());
    if (value.startsWith("reg:")) {
      next.set("model", value.slice(4));
      next.delete("run");
    } else {
      next.set("run", value);
      next.delete("model");
    }
    router.replace(`${pathname}?${next.toString()}`);
  };
  const setSegmentation = (v: string) => {
    const next = new URLSearchParams(params.toString());
    if (v && v !== DEFAULT_SEGMENTATION) next.set("segment", v);
    else next.delete("segment");
    router.replace(`${pathname}?${next.toString()}`);
  };
  const setBackend = (b: string) => {
    const next = new URLSearchParams(params.toString());
    if (b) next.set("backend", b);
    else next.delete("backend");
    router.replace(`${pathname}?${next.toString()}`);
  };

  const names = classNames(locale);
  const modelList = models.data ?? [];
  const listed = modelList.some((m) => m.id === runId);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Classify</h1>
          <div className="subtitle">The exported model runs here, in your browser: pictures are never uploaded to the server.</div>
        </div>
        <Segmented label="Class names" value={locale} options={LOCALE_OPTIONS} onChange={setLocale} />
      </div>

      <section className="panel" data-testid="model-panel">
        <div className="row">
          <label className="row">
            <strong>Model</strong>
            <select
              aria-label="Model"
              data-testid="model-select"
              value={regEntry ? `reg:${regEntry.key}` : (runId ?? "")}
              onChange={(e) => select(e.target.value)}
              disabled={models.isPending}
            >
              {!listed && !regEntry && runId && <option value={runId}>{runData ? `${runData.name} (no exported model)` : runId}</option>}
              {registered.length > 0 && (
                <optgroup label="Registered models">
                  {registered.map((e) => (
                    <option key={e.key} value={`reg:${e.key}`}>
                      {e.name} v{e.version}
                      {e.aliases.map((a) => ` @${a}`).join("")} · {e.architecture} · {pct(e.testAccuracy, 2)}
                    </option>
                  ))}
                </optgroup>
              )}
              <optgroup label="Runs">
                {modelList.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name} · {m.architecture} · {pct(m.testAccuracy, 2)}
                    {m.status === "SUCCEEDED" ? "" : ` · ${m.status.toLowerCase()}`}
                  </option>
                ))}
              </optgroup>
            </select>
          </label>
          <label className="row small muted">
            Backend
            <select aria-label="Backend" data-testid="backend-select" value={backend ?? ""} onChange={(e) => setBackend(e.target.value)}>
              <option value="">fastest available</option>
              {BACKENDS.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          </label>
          <label className="row small muted" title="How the item is found in a photo: the border model is instant; IS-Net, a segmentation network (the default, the most accurate on real photos), downloads 44 MB once and takes about two seconds a photo; both averages the model's answers for the two views">
            Find the item with
            <select aria-label="Segmentation" data-testid="segmentation-select" value={segmentation} onChange={(e) => setSegmentation(e.target.value)}>
              {SEGMENTATIONS.map((v) => (
                <option key={v} value={v}>
                  {SEGMENTATION_LABELS[v]}
                </option>
              ))}
            </select>
          </label>
          {runData && (
            <span className="small muted">
              <StatusBadge status={runData.status} /> <Link href={`/runs/${encodeURIComponent(runData.id)}`}>run page</Link>
            </span>
          )}
          {regEntry && (
            <span className="small muted" data-testid="registered-model">
              registered: <Link href={`/models?name=${encodeURIComponent(regEntry.name)}`}>{regEntry.name}</Link> v{regEntry.version}
              {regEntry.aliases.map((a) => ` @${a}`).join("")}
            </span>
          )}
        </div>
        <ModelStatus models={models} run={run} runId={runId} runData={runData} state={modelState} onRetry={() => setReload((n) => n + 1)} />
      </section>

      <div className="classify-grid">
        <section className="panel">
          <h2>Picture</h2>
          <DropZone disabled={!ready} onFile={(f) => classifyFile(f, f.name || "dropped picture")} />
          <div className="row" style={{ marginTop: 10 }}>
            <button type="button" className="btn" onClick={randomTestImage} disabled={!ready || !runData?.evaluation} data-testid="random-test-image">
              Random test image
            </button>
            <span className="small muted">or paste a picture (Ctrl+V)</span>
          </div>
          <h3 style={{ marginTop: 16 }}>…or draw one</h3>
          <DrawingPad
            disabled={!ready}
            onDrawn={(pixels, canvas) => {
              if (!client) return;
              const rgba = new Uint8ClampedArray(pixels.data);
              void classify("drawing", async () => ({ result: await client.classifyPixels({ rgba, width: pixels.width, height: pixels.height }), trueLabel: null, canvas }));
            }}
          />
        </section>

        <section className="panel" data-testid="result-panel" aria-busy={busy !== null}>
          <div className="panel-head">
            <h2>Result</h2>
            {busy && (
              <span className="small muted" data-testid="classifying">
                <span className="spinner" /> classifying {busy}
                {segmentation !== "border" && !segmenterUsed ? " (the first photo also fetches the segmentation network, 44 MB, once)" : ""}…
              </span>
            )}
          </div>
          {inputError && (
            <div className="error-box" role="alert" data-testid="classify-error">
              {inputError}
            </div>
          )}
          {shown ? <ResultView key={shown.seq} shown={shown} names={names} client={client} /> : !inputError && <p className="muted">Choose, drop, paste or draw a picture to see what the model makes of it.</p>}
        </section>
      </div>

      {runData && <TestSetPanel key={runData.id} client={client} runId={runData.id} ready={ready} names={names} recorded={runData.evaluation} />}
    </>
  );
}

function ModelStatus({
  models,
  run,
  runId,
  runData,
  state,
  onRetry,
}: {
  models: { isPending: boolean; error: { message: string } | null; data?: unknown[] };
  run: { isPending: boolean; error: { message: string; data?: { code?: string } | null } | null };
  runId: string | null;
  runData: Run | null;
  state: ModelState;
  onRetry: () => void;
}) {
  let body: React.ReactNode;
  let status = "error";
  if (models.error) body = <div className="error-box">Could not list the models: {models.error.message}</div>;
  else if (!runId && models.isPending) {
    status = "loading";
    body = <span className="muted">Looking for models…</span>;
  } else if (!runId) {
    body = (
      <div className="notice" data-testid="no-models">
        No run has exported a model yet. Train one (<code>pnpm --filter @fmnist/trainer train</code>) and come back.
      </div>
    );
  } else if (run.error) {
    body = <div className="error-box">{run.error.data?.code === "NOT_FOUND" ? `There is no run with id "${runId}". Pick a model above.` : `Could not read the run: ${run.error.message}`}</div>;
  } else if (!runData) {
    status = "loading";
    body = <span className="muted">Reading the run…</span>;
  } else if (!hasModel(runData)) {
    body = (
      <div className="error-box">
        Run “{runData.name}” ({runData.status.toLowerCase()}) has no exported model, so there is nothing to load. Pick another model above.
      </div>
    );
  } else if (state.status === "loading" || state.status === "none") {
    status = "loading";
    body = (
      <span className="muted">
        <span className="spinner" /> Loading the model of “{runData.name}” into the browser…
      </span>
    );
  } else if (state.status === "error") {
    body = (
      <div className="error-box row">
        <span className="spacer">{state.message}</span>
        <button type="button" className="btn" onClick={onRetry}>
          Load again
        </button>
      </div>
    );
  } else {
    status = "ready";
    const m = state.model;
    body = (
      <span>
        Loaded on <strong data-testid="model-backend">{m.backend}</strong> in{" "}
        <strong data-testid="model-load-ms" data-value={m.loadMs}>
          {ms(m.loadMs)} ms
        </strong>{" "}
        <span className="muted">
          (first prediction {ms(m.warmupMs)} ms) · {m.params.toLocaleString("en")} parameters
          {m.notes.length > 0 && ` · skipped: ${m.notes.join("; ")}`} · explained by {m.saliency}
        </span>
      </span>
    );
  }
  return (
    <div className="model-status" data-testid="model-status" data-state={status} role="status">
      {body}
    </div>
  );
}

function ResultView({ shown, names, client }: { shown: Shown; names: readonly string[]; client: ClassifierClient | null }) {
  const { result, trueLabel } = shown;
  const top = argmax(result.probabilities);
  const verdict = verdictOf(result.probabilities, result.coverage);
  const [heat, setHeat] = useState<Saliency | null>(result.saliency);
  const [heatError, setHeatError] = useState<string | null>(null);
  const [selected, setSelected] = useState(top);
  const explain = (classIndex: number) => {
    setSelected(classIndex);
    setHeatError(null);
    if (!client) return;
    if (classIndex === result.saliency?.classIndex) {
      setHeat(result.saliency);
      return;
    }
    client.saliency(result.input, classIndex).then(
      (s) => setHeat((now) => (s.classIndex === classIndex ? s : now)),
      (e: unknown) => setHeatError(e instanceof Error ? e.message : String(e)),
    );
  };
  const shownHeat = heat && heat.classIndex === selected ? heat : null;
  return (
    <div data-testid="result" data-source={shown.source} data-seq={shown.seq}>
      <div className="previews">
        <figure>
          <OriginalPreview
            bitmap={result.preview}
            source={shown.canvas}
            width={result.width}
            height={result.height}
            box={result.box}
            heat={shownHeat ? { map: shownHeat.map, mirrored: result.mirrored } : null}
          />
          <figcaption data-testid="detected-box" data-box={JSON.stringify(result.box)} data-segmentation={result.segmentation} data-shown-view={result.shownView}>
            {shown.source} · {result.width}×{result.height}
            {result.downscaled && " (decoded downscaled)"}
            {result.coverage > 0 ? ` · dashed: the item found by the ${SEGMENTATION_LABELS[result.shownView]}${result.segmentation === "both" ? " (probabilities: the mean of its view and the other's)" : ""} (${result.box.width}×${result.box.height} at ${result.box.x},${result.box.y})` : " · no item stood out from the background"}
            {result.segmentationNote && (
              <span className="segmentation-note" data-testid="segmentation-note">
                {" "}
                · {result.segmentationNote}
              </span>
            )}
          </figcaption>
        </figure>
        <figure>
          <ModelInputPreview input={result.input} />
          <figcaption>
            what the model sees: 28×28{result.inverted && ", inverted"}
            {result.mirrored && ", mirrored (a wide item turned heavier side right: a shoe heel-right, as Fashion-MNIST shows shoes)"}
          </figcaption>
        </figure>
        <figure>
          <SaliencyInput input={result.input} map={shownHeat?.map ?? null} classIndex={shownHeat?.classIndex ?? null} />
          <figcaption data-testid="saliency-caption">
            {shownHeat
              ? `what speaks for ${names[shownHeat.classIndex]}: ${shownHeat.method === "grad-cam" ? `Grad-CAM on ${shownHeat.layer}` : shownHeat.method === "layer-cam" ? `LayerCAM on ${shownHeat.layer} (Grad-CAM's channel weights cancelled out)` : "SmoothGrad, gradient × input"} (${ms(shownHeat.ms)} ms)`
              : heatError ?? (result.saliency ? "computing the heat map…" : "this model cannot be explained")}
            {shownHeat && " · click a class below for its map"}
          </figcaption>
        </figure>
      </div>
      <div className={`verdict${verdict.kind === "confident" ? "" : " unsure"}`} data-testid="verdict" data-kind={verdict.kind}>
        <div className="top-class" data-testid="top-class" data-label={top}>
          {verdict.kind === "confident" ? names[top] : verdict.kind === "tie" ? `${names[verdict.top]} or ${names[verdict.second]}?` : `${names[top]}?`}
        </div>
        <div className="confidence" data-testid="top-confidence">
          {pct(result.probabilities[top], 1)} {verdict.kind === "confident" ? "confident" : "for the top class"}
        </div>
        {verdict.kind !== "confident" && (
          <div className="caveat" data-testid="caveat">
            {verdict.kind === "no-item"
              ? "No single item stands out from the background: this is probably not a picture of one piece of clothing, and the answer means little."
              : verdict.kind === "tie"
                ? `The model is torn between ${names[verdict.top]} (${pct(verdict.p, 0)}) and ${names[verdict.second]} (${pct(verdict.q, 0)}).`
                : `The model is unsure (top class below ${pct(0.5, 0)}): the picture may not be clothing, or not one of the ten classes.`}
          </div>
        )}
        {trueLabel !== null && (
          <div className={trueLabel === top ? "truth ok" : "truth wrong"} data-testid="true-class" data-label={trueLabel}>
            true class: {names[trueLabel]} {trueLabel === top ? "✓" : "✗"}
          </div>
        )}
        <div className="small muted">
          inference{" "}
          <span data-testid="inference-ms" data-value={result.inferenceMs}>
            {ms(result.inferenceMs)} ms
          </span>{" "}
          · preprocessing {ms(result.preprocessMs)} ms{result.segmentMs > 0 && ` · segmentation ${ms(result.segmentMs)} ms`}{result.decodeMs > 0 && ` · decoding ${ms(result.decodeMs)} ms`}
        </div>
      </div>
      <ProbabilityBars probabilities={result.probabilities} names={names} trueLabel={trueLabel} selected={selected} onSelect={explain} />
      <span hidden data-testid="num-tensors" data-value={result.numTensors} />
    </div>
  );
}

function DropZone({ onFile, disabled }: { onFile: (file: File) => void; disabled: boolean }) {
  const [over, setOver] = useState(false);
  return (
    <label
      className={`dropzone${over ? " over" : ""}${disabled ? " disabled" : ""}`}
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const file = e.dataTransfer.files[0];
        if (file && !disabled) onFile(file);
      }}
    >
      <input
        type="file"
        accept="image/*"
        data-testid="file-input"
        disabled={disabled}
        onChange={(e) => {
          const file = e.target.files?.[0];
          // Cleared so that choosing the same file again classifies it again.
          e.target.value = "";
          if (file) onFile(file);
        }}
      />
      <strong>Choose a picture</strong> or drop it here
      <span className="small muted">PNG, JPEG or WebP, any size: a garment on a plain background works best</span>
    </label>
  );
}

type RegistryList = RouterOutputs["registry"]["list"];
interface RegisteredEntry {
  key: string;
  name: string;
  version: number;
  aliases: string[];
  runId: string;
  architecture: string;
  testAccuracy: number | null;
}

/** Every registered version, models in name order, newest version first. */
function registeredEntries(list: RegistryList | undefined): RegisteredEntry[] {
  return (list ?? []).flatMap((m) =>
    m.versions.map((v) => ({ key: `${m.name}/${v.version}`, name: m.name, version: v.version, aliases: v.aliases, runId: v.run.id, architecture: v.run.architecture, testAccuracy: v.testAccuracy })),
  );
}

/** "name/3" or "name@production". */
function findRegistered(entries: RegisteredEntry[], ref: string): RegisteredEntry | null {
  const at = ref.indexOf("@");
  if (at > 0) return entries.find((e) => e.name === ref.slice(0, at) && e.aliases.includes(ref.slice(at + 1))) ?? null;
  return entries.find((e) => e.key === ref) ?? null;
}
