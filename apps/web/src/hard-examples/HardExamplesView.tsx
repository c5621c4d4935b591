"use client";

import type { RouterOutputs } from "@fmnist/api";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { LOCALE_OPTIONS, Segmented } from "~/components/Segmented";
import { classNames, type Locale } from "~/lib/classes";
import { pct } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { ClassSelect } from "~/ui/ClassSelect";
import { EChart, type EChartsOption } from "~/ui/EChart";
import { LoadMore } from "~/ui/LoadMore";

type Output = RouterOutputs["hardExamples"]["list"];
type Item = Output["items"][number];

const label = (raw: string | null) => (raw != null && /^\d$/.test(raw) ? Number(raw) : null);

/** Test images that many runs get wrong: aggregated over the selected runs' recorded mistakes. */
export function HardExamplesView() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const [locale, setLocale] = useState<Locale>("en");
  const names = classNames(locale);

  const trueLabel = label(params.get("true"));
  const predLabel = label(params.get("pred"));
  const view = params.get("view") === "all" ? "all" : "most";
  const runIdsParam = params.get("runs");
  const runIds = runIdsParam ? runIdsParam.split(",").filter(Boolean) : null;
  // ?like=<runId>: the runs on that run's test set (the run page links here from a matrix cell).
  const like = runIds ? null : params.get("like");

  const setParam = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(changes)) {
      if (v == null || v === "") next.delete(k);
      else next.set(k, v);
    }
    router.replace(`${pathname}?${next.toString()}`);
  };

  const query = useInfiniteQuery(
    trpc.hardExamples.list.infiniteQueryOptions({ runIds, sameTestSetAs: like, view, trueLabel, predLabel, limit: 48 }, { getNextPageParam: (last) => last.nextCursor }),
  );
  const first = query.data?.pages[0];
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const runName = useMemo(() => new Map(first?.runs.map((r) => [r.id, r.name]) ?? []), [first]);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Hard examples</h1>
          <div className="subtitle">Test images the models get wrong, across runs: how many runs missed each one, and as what.</div>
        </div>
        <Segmented label="Class names" value={locale} options={LOCALE_OPTIONS} onChange={setLocale} />
      </div>

      <RunPicker selected={first?.runs.map((r) => r.id) ?? []} selection={first?.selection} explicit={runIds != null || like != null} onChange={(ids) => setParam({ runs: ids ? ids.join(",") : null, like: null })} />

      {query.error && (
        <div className="error-box" role="alert">
          {query.error.message}
        </div>
      )}
      {first && first.runs.length === 0 && <div className="panel muted">No succeeded run with a test evaluation yet.</div>}
      {first && first.runs.length > 0 && (
        <div className="grid-2">
          <div className="panel" data-testid="hard-summary">
            <h2>
              {first.runs.length} run{first.runs.length === 1 ? "" : "s"} · {first.numExamples.toLocaleString("en")} test images
            </h2>
            <p>
              <strong data-testid="all-wrong-count">{first.allWrong.toLocaleString("en")}</strong> image{first.allWrong === 1 ? "" : "s"} wrong in every run
              {trueLabel != null || predLabel != null ? " (for this filter)" : ""};{" "}
              <strong>{first.byWrongRuns.slice(1).reduce((a, b) => a + b, 0).toLocaleString("en")}</strong> wrong in at least one.
            </p>
            <WrongRunsChart byWrongRuns={first.byWrongRuns} />
          </div>
          <div className="panel">
            <h2>Most frequent mistakes (true → predicted)</h2>
            <div className="pair-list" data-testid="pair-list">
              {first.pairs.slice(0, 14).map((p) => (
                <button
                  type="button"
                  key={`${p.trueLabel}-${p.predLabel}`}
                  className="btn pair"
                  aria-pressed={p.trueLabel === trueLabel && p.predLabel === predLabel}
                  onClick={() => setParam({ true: String(p.trueLabel), pred: String(p.predLabel) })}
                >
                  {names[p.trueLabel]} → {names[p.predLabel]} <span className="muted">{p.count.toLocaleString("en")}</span>
                </button>
              ))}
            </div>
          </div>
        </div>
      )}

      <div className="panel">
        <div className="row" style={{ marginBottom: 12 }}>
          <Segmented
            label="View"
            value={view}
            onChange={(v) => setParam({ view: v === "all" ? "all" : null })}
            options={[
              { value: "most", label: "Most runs wrong" },
              { value: "all", label: "Wrong in every run" },
            ]}
          />
          <span className="muted small">True class</span>
          <ClassSelect names={names} value={trueLabel} onChange={(v) => setParam({ true: v == null ? null : String(v) })} label="True class" />
          <span className="muted small">predicted as</span>
          <ClassSelect names={names} value={predLabel} onChange={(v) => setParam({ pred: v == null ? null : String(v) })} label="Predicted class" />
          {(trueLabel != null || predLabel != null) && (
            <button type="button" className="btn" onClick={() => setParam({ true: null, pred: null })}>
              Any pair
            </button>
          )}
          <span className="spacer" />
          <span className="muted small" data-testid="hard-count">
            {first ? `${items.length} of ${first.total.toLocaleString("en")} images` : ""}
          </span>
        </div>
        {query.isPending && <p className="muted">Counting mistakes…</p>}
        {first && first.total === 0 && <p className="muted">No image in this view.</p>}
        <div className="gallery hard-gallery">
          {first && items.map((item) => <HardTile key={item.testIndex} item={item} runs={first.runs.length} imageRun={first.runs[0]?.id} names={names} runName={runName} pair={predLabel} />)}
        </div>
        <LoadMore query={query} />
      </div>
    </>
  );
}

function WrongRunsChart({ byWrongRuns }: { byWrongRuns: number[] }) {
  const option = useMemo<EChartsOption>(
    () => ({
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 10, top: 10, bottom: 40 },
      xAxis: { type: "category", name: "runs wrong", nameLocation: "middle", nameGap: 26, data: byWrongRuns.map((_, k) => String(k)).slice(1) },
      yAxis: { type: "log", min: 1 },
      series: [{ name: "images", type: "bar", data: byWrongRuns.slice(1).map((v) => (v === 0 ? null : v)) }],
    }),
    [byWrongRuns],
  );
  return <EChart option={option} style={{ height: 200 }} testId="wrong-runs-chart" />;
}

function HardTile({
  item,
  runs,
  imageRun,
  names,
  runName,
  pair,
}: {
  item: Item;
  runs: number;
  imageRun: string | undefined;
  names: readonly string[];
  runName: Map<string, string>;
  pair: number | null;
}) {
  const predicted = item.predicted
    .map((count, c) => ({ c, count }))
    .filter((x) => x.count > 0)
    .sort((a, b) => b.count - a.count);
  return (
    <figure className="tile hard-tile" data-testid="hard-tile" data-index={item.testIndex} data-wrong={item.wrongRuns} style={{ margin: 0 }}>
      {imageRun && (
        // biome-ignore lint/performance/noImgElement: a 28x28 PNG drawn pixelated; next/image would resample it
        <img src={`/api/dataset/test-images/${item.testIndex}?run=${encodeURIComponent(imageRun)}`} alt={`Test #${item.testIndex}, a ${names[item.trueLabel]}`} width={112} height={112} />
      )}
      <figcaption>
        <div>
          <Link href={`/classify?test=${item.testIndex}${imageRun ? `&run=${encodeURIComponent(imageRun)}` : ""}`}>#{item.testIndex}</Link>
        </div>
        <div className="t">true: {names[item.trueLabel]}</div>
        <div className="c" data-testid="wrong-runs">
          wrong in {item.wrongRuns} of {runs} run{runs === 1 ? "" : "s"}
          {pair != null && item.matchingRuns !== item.wrongRuns ? ` (${item.matchingRuns} as ${names[pair]})` : ""}
        </div>
        <div className="p">as {predicted.map((p) => `${names[p.c]}${p.count > 1 ? ` ×${p.count}` : ""}`).join(", ")}</div>
        <details>
          <summary className="small muted">per run</summary>
          <ul className="per-run small">
            {item.predictions.map((p) => (
              <li key={p.runId}>
                <Link href={`/runs/${encodeURIComponent(p.runId)}`}>{runName.get(p.runId) ?? p.runId}</Link>: {names[p.predLabel]} ({pct(p.confidence, 0)})
              </li>
            ))}
          </ul>
        </details>
      </figcaption>
    </figure>
  );
}

const SELECTION: Record<Output["selection"], string> = {
  explicit: "selected",
  "same-test-set": "every succeeded run on the same test set as the run you came from",
  "full-test-set": "default: every succeeded run on the full test set",
  "latest-test-set": "default: no run on the full test set yet, so every succeeded run on the latest run's test set",
};

function RunPicker({
  selected,
  selection,
  explicit,
  onChange,
}: {
  selected: string[];
  selection: Output["selection"] | undefined;
  explicit: boolean;
  onChange: (ids: string[] | null) => void;
}) {
  const trpc = useTRPC();
  const runs = useQuery(trpc.runs.list.queryOptions({ status: ["SUCCEEDED"], limit: 100 }));
  const [draft, setDraft] = useState<Set<string> | null>(null);
  const chosen = draft ?? new Set(selected);
  return (
    <details className="panel" data-testid="run-picker">
      <summary>
        <strong>Runs</strong>{" "}
        <span className="muted small" data-testid="run-selection">
          {selection ? `${SELECTION[selection]} (${selected.length})` : ""}
        </span>
      </summary>
      <div className="run-pick-list">
        {runs.data?.items.map((r) => (
          <label key={r.id} className="row small">
            <input
              type="checkbox"
              checked={chosen.has(r.id)}
              onChange={(e) => {
                const next = new Set(chosen);
                if (e.target.checked) next.add(r.id);
                else next.delete(r.id);
                setDraft(next);
              }}
            />
            {r.name} <span className="muted">· {r.architecture} · {pct(r.testAccuracy, 2)}</span>
          </label>
        ))}
      </div>
      <div className="row" style={{ marginTop: 8 }}>
        <button type="button" className="btn" disabled={!draft || draft.size === 0} onClick={() => draft && onChange([...draft])}>
          Apply
        </button>
        {explicit && (
          <button
            type="button"
            className="btn"
            onClick={() => {
              setDraft(null);
              onChange(null);
            }}
          >
            Default selection
          </button>
        )}
      </div>
    </details>
  );
}
