"use client";

import { IMAGE_PIXELS } from "@fmnist/data/image";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { Segmented } from "~/components/Segmented";
import { CLASS_NAMES_EN, CLASS_NAMES_ZH } from "~/lib/classes";
import type { DatasetSummary } from "~/server/dataset-stats";
import { EChart, type EChartsOption } from "~/ui/EChart";
import "./dataset.css";

const PER = 10;
const CELL = 40; // px on screen for a 28x28 image

type SetName = "train" | "test";

function spriteUrl(query: string, kind: string, extra = "") {
  return `/api/dataset/sprite/${kind}?${query}${extra}`;
}

async function fetchSummary(query: string): Promise<DatasetSummary> {
  const res = await fetch(`/api/dataset/summary?${query}`);
  const body = (await res.json().catch(() => null)) as (DatasetSummary & { error?: string }) | null;
  if (!res.ok || !body) throw new Error(body?.error ?? `HTTP ${res.status}`);
  return body;
}

/** One cell of a sprite (row-major cells of 28x28), scaled to CELL px, as a CSS background. */
function spriteCell(url: string, cols: number, rows: number, cell: number, size = CELL) {
  return {
    width: size,
    height: size,
    backgroundImage: `url(${url})`,
    backgroundSize: `${cols * size}px ${rows * size}px`,
    backgroundPosition: `-${(cell % cols) * size}px -${Math.floor(cell / cols) * size}px`,
  };
}

export function DatasetView() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const runId = params.get("run");
  const source = params.get("source") ?? "full";
  const query = runId ? `run=${encodeURIComponent(runId)}` : `source=${encodeURIComponent(source)}`;
  const summary = useQuery({ queryKey: ["dataset-summary", query], queryFn: () => fetchSummary(query), retry: false });
  const [sampleSet, setSampleSet] = useState<SetName>("train");
  const [readyMs, setReadyMs] = useState<number | null>(null);
  const [loadedSprites, setLoadedSprites] = useState(0);

  const setSource = (s: string) => router.replace(`${pathname}?source=${s}`);
  const data = summary.data;

  // "Ready": the summary drawn and the sprites (samples, mean, std) decoded; measured from navigation start.
  useEffect(() => {
    if (data && loadedSprites >= 3 && readyMs == null) setReadyMs(Math.round(performance.now()));
  }, [data, loadedSprites, readyMs]);
  useEffect(() => {
    if (!data) return;
    setLoadedSprites(0);
    setReadyMs(null);
    let n = 0;
    for (const url of [spriteUrl(query, "samples", `&set=${sampleSet}&per=${PER}`), spriteUrl(query, "mean"), spriteUrl(query, "std")]) {
      const img = new Image();
      img.onload = () => setLoadedSprites(++n);
      img.src = url;
    }
  }, [data, query, sampleSet]);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Dataset</h1>
          <div className="subtitle">
            Fashion-MNIST as the trainer reads it: the real IDX files
            {data ? (
              <>
                {" "}
                from <code>{data.dir}</code>
                {data.subset ? ` (${data.subset})` : ""}
              </>
            ) : null}
            .
          </div>
        </div>
        {runId ? (
          <Link href="/dataset" className="btn">
            Full dataset
          </Link>
        ) : (
          <Segmented
            label="Dataset"
            value={source}
            onChange={setSource}
            options={[
              { value: "full", label: "Full dataset" },
              { value: "fixture", label: "Test fixture" },
            ]}
          />
        )}
      </div>
      {summary.error && (
        <div className="error-box" role="alert">
          {summary.error.message}
        </div>
      )}
      {summary.isPending && <p className="muted">Reading the dataset…</p>}
      {data && (
        <div data-testid="dataset" data-ready-ms={readyMs ?? undefined}>
          <CountsPanel data={data} />
          <div className="panel">
            <div className="panel-head">
              <h2>Samples per class</h2>
              <Segmented
                label="Sample set"
                value={sampleSet}
                onChange={setSampleSet}
                options={[
                  { value: "train", label: "Train" },
                  { value: "test", label: "Test" },
                ]}
              />
            </div>
            <SampleGrid data={data} query={query} set={sampleSet} runId={runId} />
          </div>
          <div className="grid-2">
            <div className="panel">
              <h2>Mean image and per-pixel spread (train)</h2>
              <MeanStd data={data} query={query} />
            </div>
            <div className="panel">
              <h2>Pixel intensities</h2>
              <Histogram data={data} />
            </div>
          </div>
          <ImageByIndex data={data} query={query} runId={runId} />
          {readyMs != null && (
            <p className="muted small" data-testid="dataset-ready">
              Ready {readyMs} ms after navigation started.
            </p>
          )}
        </div>
      )}
    </>
  );
}

function CountsPanel({ data }: { data: DatasetSummary }) {
  const option = useMemo<EChartsOption>(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 10, top: 30, bottom: 60 },
      xAxis: { type: "category", data: [...CLASS_NAMES_EN], axisLabel: { rotate: 30 } },
      yAxis: { type: "value" },
      series: data.run?.split
        ? [
            { name: "train (fit)", type: "bar", stack: "train", data: data.run.split.train },
            { name: "validation", type: "bar", stack: "train", data: data.run.split.validation },
            { name: "test", type: "bar", data: data.test.perClass },
          ]
        : [
            { name: "train", type: "bar", data: data.train.perClass },
            { name: "test", type: "bar", data: data.test.perClass },
          ],
    }),
    [data],
  );
  const split = data.run?.split;
  return (
    <div className="grid-2">
      <div className="panel">
        <h2>Images per class</h2>
        {data.run && (
          <p className="small muted">
            Run <Link href={`/runs/${encodeURIComponent(data.run.id)}`}>{data.run.name}</Link>: {Math.round(data.run.validationSplit * 100)}% of each class held out
            for validation (stratified, as the trainer splits)
            {data.run.maxTrainImages > 0 ? `, training images capped at ${data.run.maxTrainImages.toLocaleString("en")}` : ""}.
          </p>
        )}
        <div className="table-wrap">
          <table data-testid="class-counts">
            <thead>
              <tr>
                <th>#</th>
                <th>Class</th>
                <th>类别</th>
                <th className="num">Train</th>
                {split && <th className="num">Fit</th>}
                {split && <th className="num">Validation</th>}
                <th className="num">Test</th>
              </tr>
            </thead>
            <tbody>
              {CLASS_NAMES_EN.map((name, c) => (
                <tr key={name} data-testid={`class-row-${c}`}>
                  <td>{c}</td>
                  <td>{name}</td>
                  <td>{CLASS_NAMES_ZH[c]}</td>
                  <td className="num" data-testid="train-count">
                    {data.train.perClass[c].toLocaleString("en")}
                  </td>
                  {split && (
                    <td className="num" data-testid="fit-count">
                      {split.train[c].toLocaleString("en")}
                    </td>
                  )}
                  {split && (
                    <td className="num" data-testid="val-count">
                      {split.validation[c].toLocaleString("en")}
                    </td>
                  )}
                  <td className="num" data-testid="test-count">
                    {data.test.perClass[c].toLocaleString("en")}
                  </td>
                </tr>
              ))}
              <tr>
                <td />
                <td>
                  <strong>Total</strong>
                </td>
                <td />
                <td className="num">
                  <strong>{data.train.count.toLocaleString("en")}</strong>
                </td>
                {split && <td className="num">{split.train.reduce((a, b) => a + b, 0).toLocaleString("en")}</td>}
                {split && <td className="num">{split.validation.reduce((a, b) => a + b, 0).toLocaleString("en")}</td>}
                <td className="num">
                  <strong>{data.test.count.toLocaleString("en")}</strong>
                </td>
              </tr>
            </tbody>
          </table>
        </div>
      </div>
      <div className="panel">
        <h2>Class balance</h2>
        <EChart option={option} testId="counts-chart" style={{ height: 320 }} />
      </div>
    </div>
  );
}

function SampleGrid({ data, query, set, runId }: { data: DatasetSummary; query: string; set: SetName; runId: string | null }) {
  const url = spriteUrl(query, "samples", `&set=${set}&per=${PER}`);
  const samples = (set === "train" ? data.train : data.test).samples;
  return (
    <div className="sample-grid" data-testid="sample-grid" data-set={set}>
      {CLASS_NAMES_EN.map((name, c) => (
        <div className="sample-row" key={name}>
          <div className="sample-label">
            <strong>{name}</strong> <span className="muted">{CLASS_NAMES_ZH[c]}</span>
          </div>
          {samples[c].slice(0, PER).map((index, k) => {
            const style = spriteCell(url, PER, 10, c * PER + k);
            const title = `${set} image #${index}: ${name} / ${CLASS_NAMES_ZH[c]}`;
            // Test images open on the classify page, as the notebook's predict_image(i) did.
            return set === "test" ? (
              <Link key={index} href={`/classify?test=${index}${runId ? `&run=${encodeURIComponent(runId)}` : ""}`} className="sprite-cell" style={style} title={title} data-index={index} />
            ) : (
              <span key={index} className="sprite-cell" style={style} title={title} data-index={index} />
            );
          })}
        </div>
      ))}
    </div>
  );
}

function MeanStd({ data, query }: { data: DatasetSummary; query: string }) {
  const rows = [
    { kind: "mean", label: "mean" },
    { kind: "std", label: `std (white = ${data.maxStd.toFixed(0)})` },
  ];
  return (
    <div data-testid="mean-std">
      {rows.map((r) => (
        <div className="sample-row" key={r.kind}>
          <div className="sample-label narrow muted small">{r.label}</div>
          {CLASS_NAMES_EN.map((name, c) => (
            <span key={name} className="sprite-cell" data-testid={`${r.kind}-cell`} style={spriteCell(spriteUrl(query, r.kind), 10, 1, c, 36)} title={`${r.kind} of ${name} / ${CLASS_NAMES_ZH[c]}`} />
          ))}
        </div>
      ))}
      <div className="sample-row">
        <div className="sample-label narrow" />
        {CLASS_NAMES_EN.map((name, c) => (
          <span key={name} className="mean-name small muted">
            {CLASS_NAMES_ZH[c]}
          </span>
        ))}
      </div>
      <p className="small muted">
        The spread shows where a class varies: sleeves for shirts and pullovers, the shaft for boots. Means that look alike (Shirt, T-shirt/top, Pullover,
        Coat) are the pairs the models confuse.
      </p>
    </div>
  );
}

function Histogram({ data }: { data: DatasetSummary }) {
  const option = useMemo<EChartsOption>(() => {
    const norm = (h: number[]) => {
      const total = h.reduce((a, b) => a + b, 0) || 1;
      return h.map((v, i) => [i, v / total]);
    };
    return {
      tooltip: { trigger: "axis", valueFormatter: (v: unknown) => `${((v as number) * 100).toFixed(3)} %` },
      legend: { top: 0 },
      grid: { left: 60, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "value", min: 0, max: 255, name: "intensity" },
      // Log scale: the background (0) holds about half of all pixels.
      yAxis: { type: "log", name: "share of pixels", min: 1e-5 },
      series: [
        { name: "train", type: "line", showSymbol: false, data: norm(data.train.histogram) },
        { name: "test", type: "line", showSymbol: false, data: norm(data.test.histogram) },
      ],
    };
  }, [data]);
  const zeroShare = data.train.histogram[0] / Math.max(1, data.train.count * IMAGE_PIXELS);
  return (
    <>
      <EChart option={option} testId="histogram" />
      <p className="small muted">{(zeroShare * 100).toFixed(1)}% of training pixels are 0 (background).</p>
    </>
  );
}

function ImageByIndex({ data, query, runId }: { data: DatasetSummary; query: string; runId: string | null }) {
  const [set, setSet] = useState<SetName>("test");
  const [raw, setRaw] = useState("42");
  const [label, setLabel] = useState<number | null>(null);
  const count = set === "train" ? data.train.count : data.test.count;
  const index = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  const valid = Number.isInteger(index) && index >= 0 && index < count;
  const url = valid ? spriteUrl(query, "image", `&set=${set}&index=${index}`) : null;

  useEffect(() => {
    setLabel(null);
    if (!url) return;
    let stale = false;
    fetch(url).then((res) => {
      const l = Number(res.headers.get("x-label"));
      if (!stale && res.ok && Number.isInteger(l)) setLabel(l);
    });
    return () => {
      stale = true;
    };
  }, [url]);

  return (
    <div className="panel" data-testid="image-by-index">
      <h2>Any image by index</h2>
      <div className="row">
        <select aria-label="Image set" value={set} onChange={(e) => setSet(e.target.value as SetName)}>
          <option value="test">test</option>
          <option value="train">train</option>
        </select>
        <input aria-label="Image index" type="number" min={0} max={count - 1} value={raw} onChange={(e) => setRaw(e.target.value)} style={{ width: 100 }} />
        <span className="small muted">0 – {(count - 1).toLocaleString("en")}</span>
      </div>
      {!valid && <p className="field-error">The {set} set has images 0 to {count - 1}.</p>}
      {url && (
        <div className="row" style={{ marginTop: 10 }}>
          {/* biome-ignore lint/performance/noImgElement: a 28x28 PNG from our own route, no optimisation to gain */}
          <img src={url} alt={`${set} #${index}`} width={112} height={112} className="pixelated" data-testid="indexed-image" />
          <div>
            <div data-testid="indexed-label">{label == null ? "…" : `${CLASS_NAMES_EN[label]} / ${CLASS_NAMES_ZH[label]} (class ${label})`}</div>
            {set === "test" && (
              <Link href={`/classify?test=${index}${runId ? `&run=${encodeURIComponent(runId)}` : ""}`} data-testid="classify-link">
                Classify test image #{index} →
              </Link>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
