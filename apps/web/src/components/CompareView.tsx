"use client";

import type { RouterOutputs } from "@fmnist/api";
import { COMPARE_MAX, COMPARE_MIN } from "@fmnist/api/schemas";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { classNames, type Locale } from "~/lib/classes";
import { duration, num, pct, signed, signedInt, valueText } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { ConfusionMatrix } from "./ConfusionMatrix";
import { Curves, type Series } from "./Curves";
import { DiffMatrix } from "./DiffMatrix";
import { LOCALE_OPTIONS, Segmented } from "./Segmented";
import { StatusBadge } from "./StatusBadge";

type Compare = RouterOutputs["runs"]["compare"];
type CompareRun = Compare["runs"][number];

export const RUN_COLOURS = ["#2563eb", "#ea580c", "#7c3aed", "#0d9488"];

export function CompareView({ ids }: { ids: string[] }) {
  const trpc = useTRPC();
  const valid = ids.length >= COMPARE_MIN && ids.length <= COMPARE_MAX;
  const query = useQuery({ ...trpc.runs.compare.queryOptions({ ids }), enabled: valid });
  const [locale, setLocale] = useState<Locale>("en");

  if (!valid) {
    return (
      <div className="panel empty">
        <h2>Pick {COMPARE_MIN} to {COMPARE_MAX} runs</h2>
        <p className="muted">
          On the experiments page, tick the runs you want to compare and press “Compare”. {ids.length > COMPARE_MAX && `(${ids.length} were given.)`}
        </p>
        <Link className="btn" href="/">
          ← Experiments
        </Link>
      </div>
    );
  }
  if (query.error) {
    return (
      <div className="panel empty">
        <h2>Could not compare these runs</h2>
        <p className="muted">{query.error.message}</p>
        <Link className="btn" href="/">
          ← Experiments
        </Link>
      </div>
    );
  }
  if (!query.data) return <p className="muted">Loading comparison…</p>;
  return <Comparison data={query.data} locale={locale} setLocale={setLocale} />;
}

function Comparison({ data, locale, setLocale }: { data: Compare; locale: Locale; setLocale: (l: Locale) => void }) {
  const names = classNames(locale);
  const { runs } = data;
  const colour = (id: string) => RUN_COLOURS[runs.findIndex((r) => r.id === id) % RUN_COLOURS.length];
  const evaluated = runs.filter((r) => r.confusionMatrix);
  const [a, setA] = useState(evaluated[0]?.id ?? "");
  const [b, setB] = useState(evaluated[1]?.id ?? "");
  const [onlyDiffs, setOnlyDiffs] = useState(false);
  const diff = data.diffs.find((d) => d.a === a && d.b === b);
  const runA = runs.find((r) => r.id === a);
  const runB = runs.find((r) => r.id === b);

  const maxEpoch = Math.max(0, ...runs.flatMap((r) => r.epochs.map((e) => e.epoch)));
  const curveData = (pick: (e: CompareRun["epochs"][number]) => { train: number | null; val: number | null }) =>
    Array.from({ length: maxEpoch }, (_, i) => {
      const row: Record<string, number | null> = { epoch: i + 1 };
      for (const r of runs) {
        const e = r.epochs.find((x) => x.epoch === i + 1);
        const v = e ? pick(e) : { train: null, val: null };
        row[`${r.id}:val`] = v.val;
        row[`${r.id}:train`] = v.train;
      }
      return row;
    });
  const series: Series[] = runs.flatMap((r) => [
    { key: `${r.id}:val`, name: `${r.name} (val)`, color: colour(r.id) },
    { key: `${r.id}:train`, name: `${r.name} (train)`, color: colour(r.id), dashed: true },
  ]);

  return (
    <>
      <div className="page-head">
        <div>
          <div className="small">
            <Link href="/">← Experiments</Link>
          </div>
          <h1>Compare {runs.length} runs</h1>
        </div>
        <Segmented label="Class names" value={locale} options={LOCALE_OPTIONS} onChange={setLocale} />
      </div>

      <div className="stats">
        {runs.map((r) => (
          <div className="stat" key={r.id} style={{ borderTop: `3px solid ${colour(r.id)}` }} data-testid="compare-run">
            <div className="label">
              <Link href={`/runs/${r.id}`}>{r.name}</Link> <StatusBadge status={r.status} />
            </div>
            <div className="value">{pct(r.testAccuracy, 2)}</div>
            <div className="muted small">
              {r.architecture} · macro F1 {num(r.macroF1)} · {duration(r.durationMs)}
            </div>
          </div>
        ))}
      </div>

      <div className="grid-2">
        <div className="panel">
          <Curves title="Loss (solid: validation, dashed: train)" testId="compare-loss-chart" data={curveData((e) => ({ train: e.loss, val: e.valLoss }))} series={series} />
        </div>
        <div className="panel">
          <Curves title="Accuracy (solid: validation, dashed: train)" testId="compare-accuracy-chart" percent data={curveData((e) => ({ train: e.accuracy, val: e.valAccuracy }))} series={series} />
        </div>
      </div>

      <div className="panel">
        <div className="panel-head">
          <h2>Parameters</h2>
          <label className="check small">
            <input type="checkbox" checked={onlyDiffs} onChange={(e) => setOnlyDiffs(e.target.checked)} /> only differences
          </label>
        </div>
        <div className="table-wrap">
          <table className="data" data-testid="params-table">
            <thead>
              <tr>
                <th>parameter</th>
                {runs.map((r) => (
                  <th key={r.id}>
                    <span className="run-chip" style={{ background: colour(r.id) }} />
                    {r.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.params
                .filter((p) => !onlyDiffs || p.differs)
                .map((p) => (
                  <tr key={p.key} className={p.differs ? "differs" : undefined} data-testid={`param-${p.key}`} data-differs={p.differs}>
                    <td className="muted">{p.key}</td>
                    {p.values.map((v, i) => (
                      <td key={runs[i].id} className="mono wrap">
                        {valueText(v)}
                      </td>
                    ))}
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
        <p className="muted small">Highlighted rows differ between the runs.</p>
      </div>

      {evaluated.length > 0 && (
        <div className="panel">
          <h2>Confusion matrices</h2>
          <div className="cm-grid">
            {evaluated.map((r, i) => (
              <div key={r.id}>
                <h3>
                  <span className="run-chip" style={{ background: colour(r.id) }} />
                  {r.name}
                </h3>
                <ConfusionMatrix matrix={r.confusionMatrix!} names={names} mode="counts" compact testId={`cm${i}`} />
              </div>
            ))}
          </div>
        </div>
      )}

      {evaluated.length >= 2 ? (
        <div className="panel" data-testid="diff-panel">
          <div className="panel-head">
            <h2>Difference matrix (B − A)</h2>
            <div className="row">
              <RunPicker label="A" runs={evaluated} value={a} onChange={setA} exclude={b} />
              <button type="button" className="btn" onClick={() => {
                  setA(b);
                  setB(a);
                }} title="Swap A and B">
                ⇄
              </button>
              <RunPicker label="B" runs={evaluated} value={b} onChange={setB} exclude={a} />
            </div>
          </div>
          {diff && runA?.confusionMatrix && runB?.confusionMatrix ? (
            <div className="grid-2">
              <div>
                <DiffMatrix diff={diff.matrix} a={runA.confusionMatrix} b={runB.confusionMatrix} names={names} />
              </div>
              <div>
                <h3>Biggest changes from A ({runA.name}) to B ({runB.name})</h3>
                <ol className="changes" data-testid="diff-changes">
                  {diff.changes
                    .filter((c) => c.trueLabel !== c.predLabel)
                    .slice(0, 10)
                    .map((c) => (
                      <li key={`${c.trueLabel}-${c.predLabel}`}>
                        {names[c.trueLabel]} predicted as {names[c.predLabel]}: {c.a} → {c.b}{" "}
                        <span className={c.better ? "delta-good" : "delta-bad"}>
                          ({signedInt(c.delta)}, {c.better ? "better" : "worse"})
                        </span>
                      </li>
                    ))}
                </ol>
                {diff.changes.every((c) => c.trueLabel === c.predLabel) && <p className="muted">No confusion changed.</p>}
                <p className="muted small">
                  Test accuracy {pct(runA.testAccuracy, 2)} → {pct(runB.testAccuracy, 2)}
                  {diff.testAccuracyDelta != null && ` (${signed(diff.testAccuracyDelta * 100, 2)} points)`}; macro F1{" "}
                  {diff.macroF1Delta != null ? signed(diff.macroF1Delta) : "—"}.
                </p>
                <h3 style={{ marginTop: 16 }}>Per-class F1</h3>
                <F1Deltas a={runA} b={runB} deltas={diff.f1Delta} names={names} />
              </div>
            </div>
          ) : (
            <p className="muted">Pick two different runs.</p>
          )}
        </div>
      ) : (
        <div className="panel muted">The difference matrix needs two runs with a test evaluation.</div>
      )}
    </>
  );
}

function RunPicker({ label, runs, value, onChange, exclude }: { label: string; runs: CompareRun[]; value: string; onChange: (id: string) => void; exclude: string }) {
  return (
    <label className="row small">
      <strong>{label}</strong>
      <select aria-label={`Run ${label}`} value={value} onChange={(e) => onChange(e.target.value)}>
        {runs.map((r) => (
          <option key={r.id} value={r.id} disabled={r.id === exclude}>
            {r.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function F1Deltas({ a, b, deltas, names }: { a: CompareRun; b: CompareRun; deltas: number[] | null; names: readonly string[] }) {
  if (!deltas || !a.f1 || !b.f1) return <p className="muted">No per-class report.</p>;
  const maxAbs = Math.max(0.001, ...deltas.map(Math.abs));
  return (
    <table className="data" data-testid="f1-deltas">
      <thead>
        <tr>
          <th>class</th>
          <th className="num">F1 A</th>
          <th className="num">F1 B</th>
          <th className="num">Δ</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {deltas.map((d, i) => (
          <tr key={names[i]} data-testid={`f1-delta-${i}`}>
            <td>{names[i]}</td>
            <td className="num">{num(a.f1![i])}</td>
            <td className="num">{num(b.f1![i])}</td>
            <td className={`num ${d > 0.0005 ? "delta-good" : d < -0.0005 ? "delta-bad" : ""}`}>{signed(d)}</td>
            <td className="bar-cell">
              <span
                className="bar"
                style={{
                  left: d >= 0 ? "50%" : `${50 - (Math.abs(d) / maxAbs) * 50}%`,
                  width: `${(Math.abs(d) / maxAbs) * 50}%`,
                  background: d >= 0 ? "var(--good)" : "var(--bad)",
                }}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
