"use client";

import type { RouterOutputs } from "@fmnist/api";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { asProgress, liveFraction } from "~/jobs/progress";
import { classNames, type Locale } from "~/lib/classes";
import { bytes, dateTime, duration, num, pct, valueText } from "~/lib/format";
import { RunLabels } from "~/runs/RunLabels";
import { useTRPC } from "~/trpc/react";
import { ConfusionMatrix, type MatrixMode } from "./ConfusionMatrix";
import { Curves } from "./Curves";
import { MisclassifiedGallery, type PairFilter } from "./MisclassifiedGallery";
import { ReportTable } from "./ReportTable";
import { RunActions } from "./RunActions";
import { LOCALE_OPTIONS, Segmented } from "./Segmented";
import { StatusBadge } from "./StatusBadge";

type Run = RouterOutputs["runs"]["byId"];

export function RunView({ id }: { id: string }) {
  const trpc = useTRPC();
  const run = useQuery(
    trpc.runs.byId.queryOptions(
      { id },
      // Every second while it trains: progress and curves grow as the worker records them.
      { refetchInterval: (q) => (q.state.data && (q.state.data.status === "RUNNING" || q.state.data.status === "QUEUED") ? 1000 : false) },
    ),
  );
  const [locale, setLocale] = useState<Locale>("en");
  const [mode, setMode] = useState<MatrixMode>("counts");
  const [pair, setPair] = useState<PairFilter>({ trueLabel: null, predLabel: null });

  if (run.error) {
    return (
      <div className="panel empty">
        <h2>{run.error.data?.code === "NOT_FOUND" ? "Run not found" : "Could not load the run"}</h2>
        <p className="muted">{run.error.message}</p>
        <Link href="/" className="btn">
          ← All experiments
        </Link>
      </div>
    );
  }
  if (!run.data) return <p className="muted">Loading run…</p>;
  const r = run.data;
  const names = classNames(locale);
  const evaluation = r.evaluation;
  const live = r.status === "RUNNING" || r.status === "QUEUED";

  return (
    <>
      <div className="page-head">
        <div>
          <div className="small">
            <Link href="/">← Experiments</Link>
          </div>
          <h1 className="row" data-testid="run-name">
            {r.name} <StatusBadge status={r.status} />
          </h1>
          <div className="subtitle">
            {r.kind === "imported" ? (
              <span data-testid="imported-from">
                imported from <span className="mono">{r.sourceFileName}</span> (Keras {r.kerasVersion})
              </span>
            ) : (
              r.architecture
            )}{" "}
            · {r.startedAt ? `started ${dateTime(r.startedAt)}` : `queued ${dateTime(r.createdAt)}`} · <span className="mono">{r.id}</span>
            {r.parentRunId && (
              <span data-testid="parent-run">
                {" "}
                · from{" "}
                {r.parent ? <Link href={`/runs/${r.parent.id}`}>{r.parent.name}</Link> : <span className="mono">{r.parentRunId} (deleted)</span>}
              </span>
            )}
            {r.sweepId && (
              <span data-testid="sweep-link">
                {" "}
                · trial #{r.trialNumber} of <Link href={`/sweeps/${r.sweepId}`}>its sweep</Link>
              </span>
            )}
          </div>
        </div>
        <div className="row">
          <Segmented label="Class names" value={locale} options={LOCALE_OPTIONS} onChange={setLocale} />
          <Artifacts run={r} />
          <RunActions run={r} />
        </div>
      </div>

      <RunLabels run={r} />
      {r.status === "FAILED" && r.error && <div className="error-box" style={{ marginBottom: 16 }}>{r.error}</div>}
      {r.status === "PRUNED" && r.error && <p className="muted" data-testid="pruned-reason">Pruned by its sweep: {r.error}</p>}
      {live && <LiveProgress run={r} />}

      <div className="stats">
        <Stat label="Test accuracy" value={pct(evaluation?.testAccuracy ?? r.testAccuracy, 2)} testId="stat-test-accuracy" />
        <Stat label="Test accuracy, mirror TTA" value={pct(r.testAccuracyTta, 2)} testId="stat-test-accuracy-tta" />
        <Stat label="Test loss" value={num(evaluation?.testLoss ?? r.testLoss)} />
        {r.kind === "imported" ? (
          <Stat label="Parameters" value={sourceOf(r)?.params?.toLocaleString("en") ?? "—"} testId="stat-params" />
        ) : (
          <>
            <Stat label={`Best val accuracy${r.bestEpoch ? ` (epoch ${r.bestEpoch})` : ""}`} value={pct(r.bestValAccuracy, 2)} />
            <Stat label="Epochs" value={`${r.epochsCompleted} / ${r.epochsPlanned}`} />
          </>
        )}
        <Stat label="Duration" value={duration(r.durationMs)} />
        <Stat label="Throughput" value={r.imagesPerSec ? `${Math.round(r.imagesPerSec).toLocaleString("en")} img/s` : "—"} />
      </div>

      {r.kind === "imported" && <SourcePanel run={r} />}

      {r.kind !== "imported" && (
      <div className="grid-2">
        <div className="panel">
          <Curves
            title="Loss"
            testId="loss-chart"
            bestEpoch={r.bestEpoch}
            xMax={live ? r.epochsPlanned : undefined}
            data={r.epochs.map((e) => ({ epoch: e.epoch, train: e.loss, validation: e.valLoss }))}
            series={[
              { key: "train", name: "train", color: "#2563eb" },
              { key: "validation", name: "validation", color: "#ea580c" },
            ]}
          />
        </div>
        <div className="panel">
          <Curves
            title="Accuracy"
            testId="accuracy-chart"
            percent
            bestEpoch={r.bestEpoch}
            xMax={live ? r.epochsPlanned : undefined}
            data={r.epochs.map((e) => ({ epoch: e.epoch, train: e.accuracy, validation: e.valAccuracy }))}
            series={[
              { key: "train", name: "train", color: "#2563eb" },
              { key: "validation", name: "validation", color: "#ea580c" },
            ]}
          />
        </div>
      </div>
      )}

      {new Set(r.epochs.map((e) => e.learningRate)).size > 1 && (
        <div className="panel">
          <Curves
            title="Learning rate (at the start of each epoch)"
            testId="lr-chart"
            bestEpoch={r.bestEpoch}
            xMax={live ? r.epochsPlanned : undefined}
            data={r.epochs.map((e) => ({ epoch: e.epoch, lr: e.learningRate }))}
            series={[{ key: "lr", name: "learning rate", color: "#16a34a" }]}
            format={(v) => v.toPrecision(2)}
          />
        </div>
      )}

      {evaluation?.confusionMatrix ? (
        <div className="grid-2">
          <div className="panel">
            <div className="panel-head">
              <h2>Confusion matrix</h2>
              <Segmented
                label="Matrix values"
                value={mode}
                onChange={setMode}
                options={[
                  { value: "counts", label: "Counts" },
                  { value: "normalized", label: "Row %" },
                ]}
              />
            </div>
            <ConfusionMatrix
              matrix={evaluation.confusionMatrix}
              names={names}
              mode={mode}
              active={pair.trueLabel != null && pair.predLabel != null ? { trueLabel: pair.trueLabel, predLabel: pair.predLabel } : null}
              onCellClick={(t, p) => {
                setPair({ trueLabel: t, predLabel: p });
                document.getElementById("misclassified")?.scrollIntoView({ behavior: "smooth" });
              }}
            />
          </div>
          <div className="panel">
            <h2>Per-class precision, recall and F1</h2>
            {evaluation.report ? <ReportTable report={evaluation.report} names={names} /> : <p className="muted">No report recorded.</p>}
            <p className="muted small">
              {evaluation.numExamples.toLocaleString("en")} test images ·{" "}
              {r.kind === "imported" ? "evaluated with the imported weights" : `evaluated with the weights of epoch ${r.bestEpoch ?? "?"}`}
            </p>
          </div>
        </div>
      ) : (
        <div className="panel muted">
          {r.status === "SUCCEEDED" ? "This run has no test evaluation." : "The confusion matrix, per-class report and misclassified images appear when the run finishes."}
        </div>
      )}

      {evaluation && (
        <div className="panel" id="misclassified">
          <div className="panel-head">
            <h2>Misclassified test images</h2>
            <span className="muted small">
              {evaluation.misclassifiedCount.toLocaleString("en")} in total ·{" "}
              <Link
                data-testid="pair-across-runs"
                href={`/hard-examples?like=${encodeURIComponent(r.id)}${pair.trueLabel != null ? `&true=${pair.trueLabel}` : ""}${pair.predLabel != null ? `&pred=${pair.predLabel}` : ""}`}
              >
                {pair.trueLabel != null && pair.predLabel != null ? `${names[pair.trueLabel]} → ${names[pair.predLabel]} across runs` : "hard examples across runs"}
              </Link>{" "}
              · <Link href={`/runs/${encodeURIComponent(r.id)}/embedding`}>embedding map</Link> · <Link href={`/dataset?run=${encodeURIComponent(r.id)}`}>dataset and split</Link>
            </span>
          </div>
          <MisclassifiedGallery runId={r.id} names={names} filter={pair} onFilter={setPair} />
        </div>
      )}

      <div className="panel">
        <h2>Configuration</h2>
        <ConfigTable run={r} />
      </div>
    </>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <div className="label">{label}</div>
      <div className="value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

function LiveProgress({ run }: { run: Run }) {
  const p = asProgress(run.progress) ?? {};
  const running = run.status === "RUNNING";
  const fraction = running ? liveFraction(p) : 0;
  const cancelling = running && run.cancelRequested;
  let headline: string;
  if (!running) headline = "Queued: waiting for a worker (pnpm worker)…";
  else if (cancelling) headline = "Cancelling: the worker stops after its current batch…";
  else if (p.phase === "evaluating") headline = `Evaluating on the test set: ${(p.batch ?? 0).toLocaleString("en")} of ${(p.batches ?? 0).toLocaleString("en")} images`;
  else if (run.kind === "imported") headline = "Starting: reading the model file, loading the test set…";
  else if (p.epoch == null) headline = "Starting: loading the data and the backend…";
  else headline = `Training: epoch ${p.epoch} of ${p.epochs ?? run.epochsPlanned}`;
  return (
    <div className="panel notice" data-testid="live-progress" data-status={run.status}>
      <div className="row" style={{ marginBottom: 6 }}>
        <strong data-testid="live-headline">{headline}</strong>
        {running && p.batch != null && p.batches != null && (
          <span className="muted small" data-testid="live-batch">
            batch {p.batch}/{p.batches}
          </span>
        )}
        {running && p.loss != null && <span className="muted small">loss {p.loss.toFixed(3)}</span>}
        {running && p.accuracy != null && <span className="muted small">acc {pct(p.accuracy)}</span>}
        {running && p.imagesPerSec != null && (
          <span className="muted small" data-testid="live-speed">
            {Math.round(p.imagesPerSec).toLocaleString("en")} img/s
          </span>
        )}
        {running && p.etaSeconds != null && (
          <span className="muted small" data-testid="live-eta">
            about {duration(p.etaSeconds * 1000)} left
          </span>
        )}
        {run.workerId && <span className="muted small">on {run.workerId}</span>}
      </div>
      <div className="progress" role="progressbar" aria-label="Training progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <div style={{ width: `${Math.round(fraction * 100)}%` }} />
      </div>
    </div>
  );
}

function Artifacts({ run }: { run: Run }) {
  const model = run.artifacts.find((a) => a.file === "model.json");
  if (!model) return null;
  const total = run.artifacts.reduce((s, a) => s + a.sizeBytes, 0);
  return (
    <div className="row" data-testid="artifacts">
      {run.artifacts.map((a) => (
        <a key={a.file} className="btn" href={`/api/artifacts/${run.id}/${a.file}?download=1`} download title={`${a.kind}, ${bytes(a.sizeBytes)}`}>
          ⬇ {a.file}
        </a>
      ))}
      <span className="muted small" title={`tf.loadLayersModel("/api/artifacts/${run.id}/model.json")`}>
        TF.js model, {bytes(total)}
      </span>
    </div>
  );
}

function ConfigTable({ run }: { run: Run }) {
  const rows: [string, unknown][] = [];
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      if (v && typeof v === "object" && !Array.isArray(v)) walk(v as Record<string, unknown>, `${prefix}${k}.`);
      else rows.push([`${prefix}${k}`, v]);
    }
  };
  // An imported run's layers are listed in its source panel.
  const { source, ...config } = run.config;
  walk(source && typeof source === "object" ? { ...config, source: { ...(source as Record<string, unknown>), layers: undefined } } : config, "");
  rows.push(
    ["backend (actual)", run.backend],
    ["backend note", run.backendNote],
    ["dataset read", run.datasetDir ? `${run.datasetDir} (${run.datasetSource}${run.datasetSubset ? `; ${run.datasetSubset}` : ""})` : null],
    ["dataset checksum", run.datasetChecksum],
    ["code version", run.codeVersion],
    ["worker", run.workerId],
    ["created", dateTime(run.createdAt)],
    ["finished", dateTime(run.finishedAt)],
  );
  return (
    <table className="data" data-testid="config-table">
      <tbody>
        {rows
          .filter(([, v]) => v !== null && v !== undefined && v !== "")
          .map(([k, v]) => (
            <tr key={k}>
              <td className="muted" style={{ width: 220 }}>
                {k}
              </td>
              <td className="mono wrap">{valueText(v)}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

interface ImportSource {
  fileName?: string;
  sha256?: string;
  format?: string;
  kerasVersion?: string;
  modelClass?: string;
  params?: number;
  inputShape?: (number | null)[];
  layers?: { name: string; className: string; params: number }[];
}

function sourceOf(run: Run): ImportSource | null {
  const s = run.config.source;
  return s && typeof s === "object" ? (s as ImportSource) : null;
}

/** Where an imported run came from: the file (name, sha256), the Keras that saved it, its layers. */
function SourcePanel({ run }: { run: Run }) {
  const s = sourceOf(run);
  return (
    <div className="panel" data-testid="import-source">
      <h2>Imported model</h2>
      <table className="data">
        <tbody>
          <tr>
            <td className="muted" style={{ width: 220 }}>file</td>
            <td className="mono" data-testid="source-file">{run.sourceFileName}</td>
          </tr>
          <tr>
            <td className="muted">format</td>
            <td>{run.sourceFormat === "h5" ? "HDF5 (.h5)" : "Keras zip (.keras)"}{s?.modelClass ? ` · ${s.modelClass}` : ""}</td>
          </tr>
          <tr>
            <td className="muted">Keras version</td>
            <td className="mono" data-testid="source-keras-version">{run.kerasVersion}</td>
          </tr>
          <tr>
            <td className="muted">sha256</td>
            <td className="mono wrap" data-testid="source-sha256">{run.sourceSha256}</td>
          </tr>
          {s?.inputShape && (
            <tr>
              <td className="muted">input shape</td>
              <td className="mono">({s.inputShape.map((d) => (d === null ? "None" : d)).join(", ")})</td>
            </tr>
          )}
        </tbody>
      </table>
      {s?.layers && (
        <table className="data" style={{ marginTop: 12 }} data-testid="source-layers">
          <thead>
            <tr>
              <th>layer</th>
              <th>class</th>
              <th style={{ textAlign: "right" }}>parameters</th>
            </tr>
          </thead>
          <tbody>
            {s.layers.map((l) => (
              <tr key={l.name}>
                <td className="mono">{l.name}</td>
                <td>{l.className}</td>
                <td className="mono" style={{ textAlign: "right" }}>{l.params.toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
