"use client";

import { useEffect, useRef, useState } from "react";
import { ConfusionMatrix, type MatrixMode } from "~/components/ConfusionMatrix";
import { Segmented } from "~/components/Segmented";
import { pct } from "~/lib/format";
import { type ClassifierClient, ClassifierError } from "./classifier-client";
import { compareWithRecorded } from "./compare-evaluation";
import type { TestSetResult } from "./protocol";

const BATCH_SIZES = [100, 500, 1000, 2000] as const;
const MODE_OPTIONS = [
  { value: "counts", label: "Counts" },
  { value: "normalized", label: "Row %" },
] as const;

export interface Recorded {
  testAccuracy: number;
  numExamples: number;
  confusionMatrix: number[][] | null;
}

type State =
  | { status: "idle" }
  | { status: "running"; requestId: number; done: number; total: number | null; started: number }
  | { status: "done"; result: TestSetResult }
  | { status: "error"; message: string };

/** "Classify the whole test set in the browser": every test image of the run's dataset through the
 * loaded model, accuracy and confusion matrix, checked against what the trainer recorded. */
export function TestSetPanel({ client, runId, ready, recorded, names }: { client: ClassifierClient | null; runId: string; ready: boolean; recorded: Recorded | null; names: readonly string[] }) {
  const [state, setState] = useState<State>({ status: "idle" });
  const [batchSize, setBatchSize] = useState<number>(500);
  const [mode, setMode] = useState<MatrixMode>("counts");
  const current = useRef<number | null>(null);

  // Leaving the page or switching models (the parent keys this panel by run) stops a running pass.
  useEffect(
    () => () => {
      if (current.current !== null) client?.cancel(current.current);
    },
    [client],
  );

  const start = () => {
    if (!client) return;
    const { id, result } = client.testSet(`/api/dataset/test-set?run=${encodeURIComponent(runId)}`, batchSize, (done, total) => {
      setState((s) => (s.status === "running" && s.requestId === id ? { ...s, done, total } : s));
    });
    current.current = id;
    setState({ status: "running", requestId: id, done: 0, total: null, started: performance.now() });
    result.then(
      (r) => {
        if (current.current === id) setState({ status: "done", result: r });
      },
      (e: unknown) => {
        if (current.current === id) setState({ status: "error", message: e instanceof ClassifierError || e instanceof Error ? e.message : String(e) });
      },
    );
  };

  const stop = () => {
    if (state.status === "running") client?.cancel(state.requestId);
  };

  const running = state.status === "running";
  const fraction = running && state.total ? state.done / state.total : 0;
  return (
    <section className="panel" data-testid="test-set-panel">
      <div className="panel-head">
        <h2>Classify the whole test set in the browser</h2>
        <div className="row">
          <label className="row small muted">
            Batch
            <select value={batchSize} onChange={(e) => setBatchSize(Number(e.target.value))} disabled={running} aria-label="Batch size">
              {BATCH_SIZES.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          </label>
          {running ? (
            <button type="button" className="btn" onClick={stop} data-testid="stop-test-set">
              Stop
            </button>
          ) : (
            <button type="button" className="btn primary" onClick={start} disabled={!ready} data-testid="run-test-set">
              Classify {recorded ? recorded.numExamples.toLocaleString("en") : "all"} test images
            </button>
          )}
        </div>
      </div>
      <p className="muted small">
        Downloads the run's test set once ({recorded ? `${recorded.numExamples.toLocaleString("en")} images` : "all images"}, 785 bytes each) and runs it through the loaded
        model here, in batches, with the trainer's conventions (pixels / 255, first maximum wins). Nothing is classified on the server.
      </p>

      {running && (
        <div className="testset-progress" data-testid="test-set-progress">
          <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={state.total ?? 0} aria-valuenow={state.done} aria-label="test set progress">
            <div style={{ width: `${fraction * 100}%`, transition: "none" }} />
          </div>
          <div className="small muted">{state.total === null ? "Downloading the test set…" : `${state.done.toLocaleString("en")} / ${state.total.toLocaleString("en")} images`}</div>
        </div>
      )}
      {state.status === "error" && (
        <div className="error-box" role="alert" data-testid="test-set-error">
          {state.message}
        </div>
      )}
      {state.status === "done" && <TestSetResultView result={state.result} recorded={recorded} names={names} mode={mode} setMode={setMode} />}
    </section>
  );
}

function TestSetResultView({ result, recorded, names, mode, setMode }: { result: TestSetResult; recorded: Recorded | null; names: readonly string[]; mode: MatrixMode; setMode: (m: MatrixMode) => void }) {
  const accuracy = result.count > 0 ? result.correct / result.count : 0;
  const comparison = recorded ? compareWithRecorded(result, recorded) : null;
  const totalMs = result.downloadMs + result.classifyMs;
  return (
    <div data-testid="test-set-result">
      <div className="stats">
        <div className="stat">
          <div className="label">Accuracy in the browser</div>
          <div className="value" data-testid="testset-accuracy" data-value={accuracy} data-count={result.count}>
            {pct(accuracy, 2)}
          </div>
        </div>
        <div className="stat">
          <div className="label">Correct</div>
          <div className="value">
            {result.correct.toLocaleString("en")} / {result.count.toLocaleString("en")}
          </div>
        </div>
        <div className="stat">
          <div className="label">Time (download + classify)</div>
          <div className="value" data-testid="testset-time" data-total-ms={totalMs} data-classify-ms={result.classifyMs} data-download-ms={result.downloadMs}>
            {(totalMs / 1000).toFixed(2)} s
          </div>
          <div className="small muted">
            {Math.round(result.downloadMs)} ms + {Math.round(result.classifyMs)} ms, {Math.round(result.count / (result.classifyMs / 1000)).toLocaleString("en")} img/s, batch {result.batchSize}
          </div>
        </div>
        <div className="stat">
          <div className="label">Recorded by the trainer</div>
          <div className="value">{recorded ? pct(recorded.testAccuracy, 2) : "—"}</div>
        </div>
      </div>
      {comparison ? (
        <div className={comparison.equal ? "match ok" : "match differs"} data-testid="testset-match" data-match={comparison.equal}>
          {comparison.equal ? (
            <>
              ✓ Equals the trainer's evaluation: the same accuracy ({pct(accuracy, 2)} = {result.correct} / {result.count}) and all 100 confusion-matrix cells.
            </>
          ) : (
            <>
              ✗ Differs from the trainer's evaluation:{" "}
              {!comparison.countEqual && `${result.count} images here, ${recorded?.numExamples} recorded; `}
              {!comparison.accuracyEqual && `accuracy ${pct(accuracy, 2)} here vs ${pct(recorded?.testAccuracy, 2)} recorded; `}
              {comparison.differingCells.length} cell{comparison.differingCells.length === 1 ? "" : "s"} differ
              {comparison.differingCells.length > 0 &&
                `: ${comparison.differingCells
                  .slice(0, 8)
                  .map(([t, p, b, r]) => `${names[t]} → ${names[p]} ${b} vs ${r}`)
                  .join(", ")}${comparison.differingCells.length > 8 ? ", …" : ""}`}
              .
            </>
          )}
        </div>
      ) : (
        <div className="notice">The trainer recorded no evaluation for this run, so there is nothing to compare with.</div>
      )}
      <div className="panel-head" style={{ marginTop: 12 }}>
        <h3>Confusion matrix (browser)</h3>
        <Segmented label="Matrix values" value={mode} options={MODE_OPTIONS} onChange={setMode} />
      </div>
      <ConfusionMatrix matrix={result.matrix} names={names} mode={mode} testId="browser-cm" />
    </div>
  );
}
