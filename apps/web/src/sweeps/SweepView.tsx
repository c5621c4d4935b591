"use client";

import type { RouterOutputs } from "@fmnist/api";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { StatusBadge } from "~/components/StatusBadge";
import { errorCode, useAdminGate } from "~/jobs/admin";
import { dateTime, duration, num, pct, valueText } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { EChart, type EChartsOption } from "~/ui/EChart";

type Sweep = RouterOutputs["sweeps"]["byId"];
type Trial = Sweep["trials"][number];

const STATUS_COLOURS: Record<string, string> = { SUCCEEDED: "#16a34a", PRUNED: "#9333ea", FAILED: "#dc2626", RUNNING: "#2563eb", QUEUED: "#d97706", CANCELLED: "#6b7280" };

/** A sweep's page: live trials, parallel coordinates, importance, objective over trials, the best
 * trial with open / compare / clone, cancel and extend. */
export function SweepView({ id }: { id: string }) {
  const trpc = useTRPC();
  const sweep = useQuery(trpc.sweeps.byId.queryOptions({ id }, { refetchInterval: (q) => (q.state.data?.status === "RUNNING" ? 1500 : false) }));
  if (sweep.error) {
    return (
      <div className="panel empty">
        <h2>{sweep.error.data?.code === "NOT_FOUND" ? "Sweep not found" : "Could not load the sweep"}</h2>
        <p className="muted">{sweep.error.message}</p>
        <Link href="/sweeps" className="btn">
          ← All sweeps
        </Link>
      </div>
    );
  }
  if (!sweep.data) return <p className="muted">Loading sweep…</p>;
  const s = sweep.data;
  const fmt = (x: number | null | undefined) => (s.objective === "val_accuracy" ? pct(x, 2) : num(x, 4));
  const best = s.trials.find((t) => t.id === s.bestTrialId);
  const finished = s.trials.filter((t) => ["SUCCEEDED", "PRUNED", "FAILED", "CANCELLED"].includes(t.status)).length;
  const pruned = s.trials.filter((t) => t.status === "PRUNED").length;
  // Compare the best trial with the runner-up.
  const ranked = s.trials
    .filter((t) => t.objective != null && (t.status === "SUCCEEDED" || t.status === "PRUNED"))
    .sort((a, b) => (s.maximise ? b.objective! - a.objective! : a.objective! - b.objective!));

  return (
    <>
      <div className="page-head">
        <div>
          <div className="small">
            <Link href="/sweeps">← Sweeps</Link>
          </div>
          <h1 className="row" data-testid="sweep-name">
            {s.name} <StatusBadge status={s.status} />
          </h1>
          <div className="muted small">
            {s.method} · {s.objective === "val_accuracy" ? "maximise validation accuracy" : "minimise validation loss"} · {s.trials.length} of {s.trialBudget} trials
            ({finished} finished, {pruned} pruned) · at most {s.maxConcurrent} at once
            {s.definition.earlyTermination && ` · ASHA from epoch ${s.definition.earlyTermination.minResource}, factor ${s.definition.earlyTermination.reductionFactor}`} · started{" "}
            {dateTime(s.createdAt)}
            {" · "}
            <Link href={`/?sweep=${s.id}`} data-testid="sweep-runs-link">
              its runs in Experiments
            </Link>
          </div>
        </div>
        <SweepActions sweep={s} />
      </div>

      {best && (
        <div className="panel best-trial" data-testid="best-trial">
          <div className="panel-head">
            <h2>
              Best trial: #{best.trialNumber} {fmt(best.objective)}
            </h2>
            <div className="row">
              <Link className="btn primary" href={`/runs/${best.id}`} data-testid="open-best">
                Open
              </Link>
              {ranked.length > 1 && (
                <Link className="btn" href={`/compare?ids=${ranked[0].id},${ranked[1].id}`} data-testid="compare-best">
                  Compare with #{ranked[1].trialNumber}
                </Link>
              )}
              <Link className="btn" href={`/runs/new?from=${best.id}`} data-testid="clone-best">
                Clone
              </Link>
            </div>
          </div>
          <div className="muted small mono">
            {Object.entries(best.params)
              .map(([k, v]) => `${k}=${valueText(v)}`)
              .join("  ")}
            {best.testAccuracy != null && `  ·  test accuracy ${pct(best.testAccuracy, 2)}`}
          </div>
        </div>
      )}

      <div className="grid-2">
        <div className="panel">
          <h2>Parameters against the objective</h2>
          <ParallelPlot sweep={s} />
        </div>
        <div className="panel">
          <h2>Parameter importance</h2>
          <p className="muted small">|Spearman rank correlation| with the objective over finished and pruned trials.</p>
          <ImportanceChart sweep={s} />
        </div>
      </div>
      <div className="panel">
        <h2>Objective over trials</h2>
        <ObjectiveChart sweep={s} />
      </div>
      <TrialsTable sweep={s} fmt={fmt} />
    </>
  );
}

function SweepActions({ sweep }: { sweep: Sweep }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const gate = useAdminGate();
  const [more, setMore] = useState("4");
  const invalidate = () => Promise.all([queryClient.invalidateQueries({ queryKey: trpc.sweeps.pathKey() }), queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() })]);
  const cancel = useMutation(
    trpc.sweeps.cancel.mutationOptions({
      onSettled: invalidate,
      onError: (e) => {
        if (errorCode(e) === "UNAUTHORIZED") gate.unauthorized(e.message, () => cancel.mutate({ id: sweep.id }));
      },
    }),
  );
  const extend = useMutation(
    trpc.sweeps.extend.mutationOptions({
      onSettled: invalidate,
      onError: (e) => {
        if (errorCode(e) === "UNAUTHORIZED") gate.unauthorized(e.message, () => extend.mutate({ id: sweep.id, trials: Number(more) }));
      },
    }),
  );
  const error = [cancel.error, extend.error].find((e) => e && errorCode(e) !== "UNAUTHORIZED");
  return (
    <div>
      <div className="row">
        {sweep.status === "RUNNING" && (
          <button type="button" className="btn" data-testid="cancel-sweep" disabled={cancel.isPending} onClick={() => gate.guard(() => cancel.mutate({ id: sweep.id }))}>
            {cancel.isPending ? "Cancelling…" : "Cancel sweep"}
          </button>
        )}
        {sweep.status !== "CANCELLED" && (
          <>
            <input aria-label="trials to add" size={3} value={more} onChange={(e) => setMore(e.target.value)} data-testid="extend-count" />
            <button
              type="button"
              className="btn"
              data-testid="extend-sweep"
              disabled={extend.isPending}
              onClick={() => gate.guard(() => extend.mutate({ id: sweep.id, trials: Number(more) }))}
            >
              Add trials
            </button>
          </>
        )}
      </div>
      {error && (
        <div className="field-error" role="alert">
          {error.message}
        </div>
      )}
      {gate.prompt}
    </div>
  );
}

function TrialsTable({ sweep, fmt }: { sweep: Sweep; fmt: (x: number | null | undefined) => string }) {
  const keys = Object.keys(sweep.definition.space).sort();
  return (
    <div className="panel">
      <h2>Trials</h2>
      <div className="table-wrap">
        <table className="data" data-testid="trials-table">
          <thead>
            <tr>
              <th>#</th>
              <th>Status</th>
              {keys.map((k) => (
                <th key={k}>{k}</th>
              ))}
              <th className="num">Epochs</th>
              <th className="num">Objective</th>
              <th className="num">Test acc.</th>
              <th className="num">Time</th>
            </tr>
          </thead>
          <tbody>
            {sweep.trials.map((t) => (
              <tr key={t.id} className={t.id === sweep.bestTrialId ? "selected" : undefined} data-testid={`trial-${t.trialNumber}`} data-status={t.status}>
                <td>
                  <Link href={`/runs/${t.id}`}>#{t.trialNumber}</Link>
                  {t.id === sweep.bestTrialId && <span className="badge SUCCEEDED"> best</span>}
                </td>
                <td title={t.error ?? undefined}>
                  <StatusBadge status={t.status} />
                </td>
                {keys.map((k) => (
                  <td key={k} className="mono">
                    {valueText(t.params[k])}
                  </td>
                ))}
                <td className="num">
                  {t.epochsCompleted} / {t.epochsPlanned}
                </td>
                <td className="num">{fmt(t.objective)}</td>
                <td className="num">{pct(t.testAccuracy, 2)}</td>
                <td className="num">{duration(t.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** One axis per searched parameter (log axes for log ranges, categories for choices) and the
 * objective last; a line per finished or pruned trial, coloured by its status, the best one thicker. */
function ParallelPlot({ sweep }: { sweep: Sweep }) {
  const option = useMemo<EChartsOption>(() => {
    const keys = Object.keys(sweep.definition.space).sort();
    const trials = sweep.trials.filter((t) => t.objective != null);
    const axes: Record<string, unknown>[] = keys.map((k, dim) => {
      const d = sweep.definition.space[k];
      if (d.type === "choice") return { dim, name: k, type: "category", data: d.values.map(String) };
      return { dim, name: k, type: d.scale === "log" ? "log" : "value", min: d.min, max: d.max };
    });
    axes.push({ dim: keys.length, name: sweep.objective, type: "value", scale: true });
    const line = (t: Trial) => [...keys.map((k) => (sweep.definition.space[k].type === "choice" ? String(t.params[k]) : t.params[k])), t.objective];
    const series = ["SUCCEEDED", "PRUNED"].map((status) => ({
      name: status.toLowerCase(),
      type: "parallel" as const,
      lineStyle: { width: 1.5, opacity: 0.7, color: STATUS_COLOURS[status] },
      data: trials.filter((t) => t.status === status && t.id !== sweep.bestTrialId).map(line),
    }));
    const best = trials.find((t) => t.id === sweep.bestTrialId);
    if (best) series.push({ name: "best", type: "parallel", lineStyle: { width: 4, opacity: 1, color: "#f59e0b" }, data: [line(best)] });
    return {
      animation: false,
      legend: { top: 0 },
      parallel: { left: 60, right: 80, top: 50, bottom: 30 },
      parallelAxis: axes,
      series,
    };
  }, [sweep]);
  return <EChart option={option} testId="parallel-plot" style={{ height: 320 }} />;
}

function ImportanceChart({ sweep }: { sweep: Sweep }) {
  const option = useMemo<EChartsOption>(() => {
    const rows = [...sweep.importance].reverse();
    return {
      animation: false,
      grid: { left: 110, right: 40, top: 10, bottom: 30 },
      xAxis: { type: "value", min: 0, max: 1 },
      yAxis: { type: "category", data: rows.map((r) => r.key) },
      tooltip: {},
      series: [{ type: "bar", data: rows.map((r) => Number(r.importance.toFixed(3))), label: { show: true, position: "right" } }],
    };
  }, [sweep]);
  return (
    <>
      <EChart option={option} testId="importance-chart" style={{ height: 220 }} />
      <ul className="small" data-testid="importance-values">
        {sweep.importance.map((r) => (
          <li key={r.key}>
            {r.key}: {r.importance.toFixed(2)}
            {r.correlation != null && ` (${r.correlation >= 0 ? "larger is better" : "smaller is better"})`}
          </li>
        ))}
      </ul>
    </>
  );
}

/** Each trial's objective by trial number (pruned ones marked), and the best so far as a step line. */
function ObjectiveChart({ sweep }: { sweep: Sweep }) {
  const option = useMemo<EChartsOption>(() => {
    const scored = sweep.trials.filter((t) => t.objective != null && (t.status === "SUCCEEDED" || t.status === "PRUNED"));
    let bestSoFar: number | null = null;
    const steps = scored.map((t) => {
      if (bestSoFar === null || (sweep.maximise ? t.objective! > bestSoFar : t.objective! < bestSoFar)) bestSoFar = t.objective!;
      return [t.trialNumber, bestSoFar];
    });
    return {
      animation: false,
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 40 },
      tooltip: { trigger: "item" },
      xAxis: { type: "value", name: "trial", minInterval: 1 },
      yAxis: { type: "value", name: sweep.objective, scale: true },
      series: [
        { name: "succeeded", type: "scatter", itemStyle: { color: STATUS_COLOURS.SUCCEEDED }, data: scored.filter((t) => t.status === "SUCCEEDED").map((t) => [t.trialNumber, t.objective]) },
        { name: "pruned", type: "scatter", symbol: "diamond", itemStyle: { color: STATUS_COLOURS.PRUNED }, data: scored.filter((t) => t.status === "PRUNED").map((t) => [t.trialNumber, t.objective]) },
        { name: "best so far", type: "line", step: "end", showSymbol: false, data: steps },
      ],
    };
  }, [sweep]);
  return <EChart option={option} testId="objective-chart" style={{ height: 260 }} />;
}
