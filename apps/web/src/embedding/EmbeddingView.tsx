"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useRef, useState } from "react";
import { BACKENDS, type Backend } from "~/classify/protocol";
import { ConfusionMatrix } from "~/components/ConfusionMatrix";
import { LOCALE_OPTIONS, Segmented } from "~/components/Segmented";
import { classNames, type Locale } from "~/lib/classes";
import { useTRPC } from "~/trpc/react";
import { EChart, type EChartsInstance, type EChartsOption } from "~/ui/EChart";
import type { EmbeddingResponse } from "./protocol";

// Ten distinguishable colours, one per class (Tableau 10).
const COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

type Status = Extract<EmbeddingResponse, { type: "status" }>;
type Activations = Extract<EmbeddingResponse, { type: "activations" }>;
type Pair = { trueLabel: number; predLabel: number };

const PHASES: Record<Status["phase"], string> = {
  model: "loading the model",
  "test-set": "downloading the test set",
  activations: "computing activations",
  pca: "PCA",
  "umap-neighbours": "UMAP: finding nearest neighbours",
  umap: "UMAP: optimising the layout",
};

declare global {
  interface Window {
    /** For tests and the console: where point i is drawn, in page pixels relative to the chart. */
    __fmnistEmbedding?: { pixelOf(index: number): [number, number] | null; projection: string; highlighted: number[] };
  }
}

export function EmbeddingView({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const run = useQuery(trpc.runs.byId.queryOptions({ id: runId }));
  const [locale, setLocale] = useState<Locale>("en");
  const names = classNames(locale);
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [acts, setActs] = useState<Activations | null>(null);
  const [pcaResult, setPca] = useState<{ coords: Float32Array; ms: number; explained: [number, number] } | null>(null);
  const [umapResult, setUmap] = useState<{ coords: Float32Array; ms: number; neighboursMs: number; epochs: number } | null>(null);
  const [view, setView] = useState<"pca" | "umap">("pca");
  const [selected, setSelected] = useState<number | null>(null);
  const [pair, setPair] = useState<Pair | null>(null);
  const chartRef = useRef<EChartsInstance | null>(null);

  const artifact = run.data?.artifacts.find((a) => a.kind === "tfjs-layers-model");
  const modelUrl = artifact ? `/api/artifacts/${encodeURIComponent(runId)}/${artifact.file}` : null;

  useEffect(() => {
    if (!modelUrl) return;
    const worker = new Worker(new URL("./embedding.worker.ts", import.meta.url), { type: "module", name: "embedding" });
    worker.onmessage = (e: MessageEvent<EmbeddingResponse>) => {
      const msg = e.data;
      if (msg.type === "status") setStatus(msg);
      else if (msg.type === "activations") setActs(msg);
      else if (msg.type === "pca") setPca({ coords: msg.projection.coords, ms: msg.projection.ms, explained: msg.explained });
      else if (msg.type === "umap") {
        setUmap({ coords: msg.projection.coords, ms: msg.projection.ms, neighboursMs: msg.neighboursMs, epochs: msg.epochs });
        setView("umap");
        setStatus(null);
      } else if (msg.type === "error") setError(msg.message);
    };
    worker.onerror = (e) => setError(e.message || "the embedding worker failed");
    const backendParam = new URLSearchParams(window.location.search).get("backend");
    worker.postMessage({
      type: "start",
      modelUrl: new URL(modelUrl, window.location.origin).href,
      testSetUrl: new URL(`/api/dataset/test-set?run=${encodeURIComponent(runId)}`, window.location.origin).href,
      wasmPath: new URL("/classify/wasm/", window.location.origin).href,
      backend: BACKENDS.includes(backendParam as Backend) ? (backendParam as Backend) : null,
      umap: new URLSearchParams(window.location.search).get("umap") !== "0",
    });
    return () => worker.terminate();
  }, [modelUrl, runId]);

  const projection = view === "umap" && umapResult ? umapResult : pcaResult;
  const shownView = view === "umap" && umapResult ? "umap" : "pca";

  const matrix = useMemo(() => {
    if (!acts) return null;
    const m = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    for (let i = 0; i < acts.count; i++) m[acts.labels[i]][acts.predictions[i]]++;
    return m;
  }, [acts]);

  const option = useMemo<EChartsOption | null>(() => {
    if (!acts || !projection) return null;
    const { coords } = projection;
    const byClass: [number, number, number][][] = Array.from({ length: 10 }, () => []);
    const wrong: [number, number, number][] = [];
    const highlighted: [number, number, number][] = [];
    for (let i = 0; i < acts.count; i++) {
      const point: [number, number, number] = [coords[i * 2], coords[i * 2 + 1], i];
      byClass[acts.labels[i]].push(point);
      if (acts.labels[i] !== acts.predictions[i]) wrong.push(point);
      if (pair && acts.labels[i] === pair.trueLabel && acts.predictions[i] === pair.predLabel) highlighted.push(point);
    }
    return {
      animation: false,
      legend: { top: 0, type: "scroll" },
      grid: { left: 40, right: 20, top: 40, bottom: 30 },
      tooltip: {
        trigger: "item",
        formatter: (p: { data: [number, number, number] }) => {
          const i = p.data[2];
          const t = acts.labels[i];
          const pr = acts.predictions[i];
          return `#${i}<br/>true: ${names[t]}<br/>predicted: ${names[pr]}${t === pr ? "" : " ✗"}`;
        },
      },
      xAxis: { type: "value", scale: true, splitLine: { show: false } },
      yAxis: { type: "value", scale: true, splitLine: { show: false } },
      series: [
        ...byClass.map((data, c) => ({
          name: names[c],
          type: "scatter",
          data,
          symbolSize: acts.count > 2000 ? 3 : 5,
          itemStyle: { color: COLOURS[c], opacity: pair ? 0.25 : 0.8 },
          large: true,
          largeThreshold: 5000,
        })),
        { name: "misclassified", type: "scatter", data: wrong, symbol: "emptyCircle", symbolSize: acts.count > 2000 ? 6 : 9, itemStyle: { color: "#111", borderWidth: 1 }, z: 3 },
        ...(pair ? [{ name: "selected cell", type: "scatter", data: highlighted, symbol: "diamond", symbolSize: 11, itemStyle: { color: "#e11d48", borderColor: "#fff", borderWidth: 1 }, z: 4 }] : []),
      ],
    };
  }, [acts, projection, pair, names]);

  // Test hook: the pixel of point i in the current projection.
  useEffect(() => {
    if (!acts || !projection) return;
    const highlighted: number[] = [];
    if (pair) for (let i = 0; i < acts.count; i++) if (acts.labels[i] === pair.trueLabel && acts.predictions[i] === pair.predLabel) highlighted.push(i);
    window.__fmnistEmbedding = {
      projection: shownView,
      highlighted,
      pixelOf(i: number) {
        const chart = chartRef.current;
        if (!chart || i < 0 || i >= acts.count) return null;
        const p = chart.convertToPixel({ seriesIndex: acts.labels[i] }, [projection.coords[i * 2], projection.coords[i * 2 + 1]]) as number[];
        return [p[0], p[1]];
      },
    };
  }, [acts, projection, shownView, pair]);

  const r = run.data;
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Embedding map{r ? `: ${r.name}` : ""}</h1>
          <div className="subtitle">
            The test set as the model sees it: activations of the layer before the classifier{acts ? ` (${acts.layer}, ${acts.width} values)` : ""}, computed in your
            browser and projected to 2-D. {r && <Link href={`/runs/${encodeURIComponent(r.id)}`}>run page</Link>}
          </div>
        </div>
        <Segmented label="Class names" value={locale} options={LOCALE_OPTIONS} onChange={setLocale} />
      </div>
      {run.error && <div className="error-box">{run.error.message}</div>}
      {r && !modelUrl && <div className="panel muted">This run has no exported model.</div>}
      {error && (
        <div className="error-box" role="alert" data-testid="embedding-error">
          {error}
        </div>
      )}
      <div className="panel">
        <div className="panel-head">
          <div className="row">
            <Segmented
              label="Projection"
              value={shownView}
              onChange={(v) => setView(v)}
              options={[
                { value: "pca", label: "PCA" },
                { value: "umap", label: umapResult ? "UMAP" : "UMAP (computing…)" },
              ]}
            />
            {pair && (
              <button type="button" className="btn" onClick={() => setPair(null)}>
                Clear highlight
              </button>
            )}
          </div>
          <span className="small muted" data-testid="embedding-status">
            {status ? `${PHASES[status.phase]}${status.total > 1 ? ` ${status.done.toLocaleString("en")} / ${status.total.toLocaleString("en")}` : ""}…` : ""}
          </span>
        </div>
        {status && status.total > 1 && <progress max={status.total} value={status.done} style={{ width: "100%" }} data-testid="embedding-progress" />}
        <p className="small muted" data-testid="embedding-times">
          {acts && `${acts.count.toLocaleString("en")} test images through the model on ${acts.backend} in ${Math.round(acts.ms)} ms`}
          {pcaResult && ` · PCA ${Math.round(pcaResult.ms)} ms (${(pcaResult.explained[0] * 100).toFixed(0)}% + ${(pcaResult.explained[1] * 100).toFixed(0)}% of the variance)`}
          {umapResult && ` · UMAP ${(umapResult.ms / 1000).toFixed(1)} s (neighbours ${(umapResult.neighboursMs / 1000).toFixed(1)} s, ${umapResult.epochs} epochs)`}
        </p>
        {option ? (
          <div data-testid="embedding-chart" data-points={acts?.count} data-projection={shownView} data-pca-ms={pcaResult ? Math.round(pcaResult.ms) : undefined} data-umap-ms={umapResult ? Math.round(umapResult.ms) : undefined}>
            <EChart
              option={option}
              style={{ height: 560 }}
              onInit={(chart) => {
                chartRef.current = chart;
                chart.on("click", (p) => {
                  const data = p.data as [number, number, number] | undefined;
                  if (Array.isArray(data)) setSelected(data[2]);
                });
              }}
            />
          </div>
        ) : (
          !error && modelUrl && <p className="muted">Computing…</p>
        )}
      </div>
      {acts && matrix && (
        <div className="grid-2">
          <div className="panel" data-testid="embedding-selected">
            <h2>Selected image</h2>
            {selected == null ? (
              <p className="muted">Click a point to see its image.</p>
            ) : (
              <div className="row">
                {/* biome-ignore lint/performance/noImgElement: a 28x28 PNG drawn pixelated */}
                <img src={`/api/dataset/test-images/${selected}?run=${encodeURIComponent(runId)}`} alt={`Test #${selected}`} width={112} height={112} className="pixelated" style={{ imageRendering: "pixelated", background: "#000" }} data-testid="selected-image" />
                <div>
                  <div data-testid="selected-index">test image #{selected}</div>
                  <div data-testid="selected-true" data-label={acts.labels[selected]}>
                    true: {names[acts.labels[selected]]}
                  </div>
                  <div data-testid="selected-pred" data-label={acts.predictions[selected]}>
                    predicted: {names[acts.predictions[selected]]} {acts.predictions[selected] === acts.labels[selected] ? "✓" : "✗"}
                  </div>
                  <Link href={`/classify?run=${encodeURIComponent(runId)}&test=${selected}`}>classify it</Link>
                </div>
              </div>
            )}
          </div>
          <div className="panel">
            <h2>Confusion matrix (in the browser)</h2>
            <ConfusionMatrix matrix={matrix} names={names} mode="counts" testId="embedding-cm" active={pair} onCellClick={(t, p) => setPair({ trueLabel: t, predLabel: p })} />
          </div>
        </div>
      )}
    </>
  );
}
