"use client";

import type { RouterInputs, RouterOutputs } from "@fmnist/api";
import { COMPARE_MAX, COMPARE_MIN, RUN_SORT_COLUMNS, type RunSortColumn, type SortDirection, tagSchema } from "@fmnist/api/schemas";
import { RUN_STATUSES } from "@fmnist/db";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import { asProgress, liveFraction } from "~/jobs/progress";
import { ago, dateTime, duration, lr, pct } from "~/lib/format";
import { TagChip } from "~/runs/RunLabels";
import { useTRPC } from "~/trpc/react";
import { CancelButton } from "./RunActions";
import { StatusBadge } from "./StatusBadge";

const PAGE_SIZE = 25;
type Row = RouterOutputs["runs"]["list"]["items"][number];

const COLUMNS: { key: RunSortColumn; label: string; numeric?: boolean; firstDirection?: SortDirection }[] = [
  { key: "name", label: "Name" },
  { key: "status", label: "Status" },
  { key: "architecture", label: "Architecture" },
  { key: "epochs", label: "Epochs", numeric: true, firstDirection: "desc" },
  { key: "batchSize", label: "Batch", numeric: true, firstDirection: "desc" },
  { key: "learningRate", label: "LR", numeric: true, firstDirection: "desc" },
  { key: "bestValAccuracy", label: "Best val acc", numeric: true, firstDirection: "desc" },
  { key: "testAccuracy", label: "Test acc", numeric: true, firstDirection: "desc" },
  { key: "durationMs", label: "Duration", numeric: true, firstDirection: "desc" },
  { key: "backend", label: "Backend" },
  { key: "createdAt", label: "Started", firstDirection: "desc" },
];

/** The table state lives in the URL so a view can be shared and survives a reload. */
function useTableState() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const sortParam = params.get("sort");
  const column = (RUN_SORT_COLUMNS as readonly string[]).includes(sortParam ?? "") ? (sortParam as RunSortColumn) : "createdAt";
  const direction: SortDirection = params.get("dir") === "asc" ? "asc" : "desc";
  const status = (params.get("status")?.split(",") ?? []).filter((s): s is (typeof RUN_STATUSES)[number] => (RUN_STATUSES as readonly string[]).includes(s));
  const architecture = params.get("arch") ?? "";
  const search = params.get("q") ?? "";
  // Only well-formed tags: a hand-edited URL must not turn the whole list into an error.
  const tags = (params.get("tags")?.split(",") ?? []).filter((t) => tagSchema.safeParse(t).success);
  // The sweeps pages link to /?sweep=<id>: that sweep's trials.
  const sweep = params.get("sweep") ?? "";
  const page = Math.max(1, Math.floor(Number(params.get("page")) || 1));

  const update = (changes: Record<string, string | null>, resetPage = true) => {
    const next = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === "") next.delete(k);
      else next.set(k, v);
    }
    if (resetPage && !("page" in changes)) next.delete("page");
    const qs = next.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  };
  return { column, direction, status, architecture, search, tags, sweep, page, update };
}

export function Experiments() {
  const trpc = useTRPC();
  const s = useTableState();
  const [searchDraft, setSearchDraft] = useState(s.search);
  const [selected, setSelected] = useState<string[]>([]);

  // Debounced name search. The latest `update` is read through a ref so that polling re-renders
  // do not restart the timer.
  const updateRef = useRef(s.update);
  updateRef.current = s.update;
  useEffect(() => {
    if (searchDraft.trim() === s.search) return;
    const t = setTimeout(() => updateRef.current({ q: searchDraft.trim() || null }), 250);
    return () => clearTimeout(t);
  }, [searchDraft, s.search]);

  const facets = useQuery(
    trpc.runs.facets.queryOptions(undefined, {
      // Poll fast while something is training, slowly otherwise (to notice new runs).
      refetchInterval: (q) => ((q.state.data?.active ?? 0) > 0 ? 2000 : 10_000),
    }),
  );
  const live = (facets.data?.active ?? 0) > 0;

  const input: RouterInputs["runs"]["list"] = {
    limit: PAGE_SIZE,
    cursor: (s.page - 1) * PAGE_SIZE,
    sort: { column: s.column, direction: s.direction },
    status: s.status.length ? s.status : undefined,
    architecture: s.architecture || undefined,
    search: s.search || undefined,
    tags: s.tags.length ? s.tags : undefined,
    sweepId: s.sweep || undefined,
  };
  const list = useQuery(
    trpc.runs.list.queryOptions(input, {
      placeholderData: keepPreviousData,
      // Also while its own rows show an active run: the facets can see a run finish before the
      // list does (separate requests), and the list must not stop polling on a stale "running".
      refetchInterval: (q) => (live || q.state.data?.items.some((r) => r.status === "RUNNING" || r.status === "QUEUED") ? 2000 : false),
    }),
  );

  const filtered = s.status.length > 0 || s.architecture !== "" || s.search !== "" || s.tags.length > 0 || s.sweep !== "";
  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  const toggleSort = (col: (typeof COLUMNS)[number]) => {
    if (s.column === col.key) s.update({ sort: col.key, dir: s.direction === "asc" ? "desc" : "asc" });
    else s.update({ sort: col.key, dir: col.firstDirection ?? "asc" });
  };
  const toggleStatus = (status: string) => {
    const next = s.status.includes(status as never) ? s.status.filter((x) => x !== status) : [...s.status, status];
    s.update({ status: next.join(",") || null });
  };
  const toggleTag = (tag: string) => {
    const next = s.tags.includes(tag) ? s.tags.filter((x) => x !== tag) : [...s.tags, tag];
    s.update({ tags: next.join(",") || null });
  };
  const toggleSelected = (id: string) =>
    setSelected((cur) => (cur.includes(id) ? cur.filter((x) => x !== id) : cur.length >= COMPARE_MAX ? cur : [...cur, id]));

  if (facets.data && facets.data.total === 0) return <NoRunsYet />;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Experiments</h1>
          <div className="subtitle">
            {facets.data ? `${facets.data.total} runs` : "Loading…"}
            {live && (
              <span data-testid="live-indicator">
                {" "}
                · <span className="badge RUNNING">live</span> {facets.data?.statusCounts.RUNNING} running, {facets.data?.statusCounts.QUEUED} queued
              </span>
            )}
          </div>
        </div>
        <div className="row">
          <span className="muted small">{selected.length === 0 ? `Select ${COMPARE_MIN}–${COMPARE_MAX} runs to compare` : `${selected.length} selected`}</span>
          {selected.length > 0 && (
            <button type="button" className="btn" onClick={() => setSelected([])}>
              Clear
            </button>
          )}
          <Link className="btn" href="/runs/new" data-testid="new-run-button">
            + New run
          </Link>
          {selected.length >= 2 ? (
            <Link className="btn primary" href={`/compare?ids=${selected.join(",")}`} data-testid="compare-button">
              Compare {selected.length} runs
            </Link>
          ) : (
            <button type="button" className="btn primary" disabled data-testid="compare-button">
              Compare
            </button>
          )}
        </div>
      </div>

      <div className="panel">
        <div className="row" style={{ marginBottom: 12 }}>
          <input
            type="search"
            placeholder="Search run names…"
            aria-label="Search run names"
            value={searchDraft}
            onChange={(e) => setSearchDraft(e.target.value)}
          />
          <select aria-label="Architecture" value={s.architecture} onChange={(e) => s.update({ arch: e.target.value || null })}>
            <option value="">All architectures</option>
            {facets.data?.architectures.map((a) => (
              <option key={a.name} value={a.name}>
                {a.name} ({a.count})
              </option>
            ))}
          </select>
          <span className="muted small" style={{ marginLeft: 8 }}>
            Status:
          </span>
          {RUN_STATUSES.map((st) => (
            <label key={st} className="check">
              <input type="checkbox" checked={s.status.includes(st)} onChange={() => toggleStatus(st)} />
              <StatusBadge status={st} />
              <span className="muted small">{facets.data?.statusCounts[st] ?? ""}</span>
            </label>
          ))}
          {(facets.data?.tags.length ?? 0) > 0 && (
            <span className="row" data-testid="tag-filter">
              <span className="muted small" style={{ marginLeft: 8 }}>
                Tags (any):
              </span>
              {facets.data?.tags.map((t) => (
                <button
                  key={t.name}
                  type="button"
                  className={`tag${s.tags.includes(t.name) ? " active" : ""}`}
                  aria-pressed={s.tags.includes(t.name)}
                  onClick={() => toggleTag(t.name)}
                >
                  {t.name} <span className="muted">{t.count}</span>
                </button>
              ))}
            </span>
          )}
          {s.sweep && (
            <span className="small" data-testid="sweep-filter">
              sweep <span className="mono">{s.sweep}</span>{" "}
              <button type="button" className="btn small" aria-label="Show all runs, not only this sweep" onClick={() => s.update({ sweep: null })}>
                ×
              </button>
            </span>
          )}
          <span className="spacer" />
          {filtered && (
            <button
              type="button"
              className="btn"
              onClick={() => {
                setSearchDraft("");
                s.update({ status: null, arch: null, q: null, tags: null, sweep: null });
              }}
            >
              Clear filters
            </button>
          )}
        </div>

        {list.error ? (
          <div className="error-box">Could not load runs: {list.error.message}</div>
        ) : (
          <div className="table-wrap">
            <table className="data" data-testid="runs-table" aria-busy={list.isFetching}>
              <thead>
                <tr>
                  <th aria-label="Select" />
                  {COLUMNS.map((c) => (
                    <th
                      key={c.key}
                      className={c.numeric ? "num" : undefined}
                      aria-sort={s.column === c.key ? (s.direction === "asc" ? "ascending" : "descending") : undefined}
                    >
                      <button type="button" className="sort" onClick={() => toggleSort(c)} data-testid={`sort-${c.key}`}>
                        {c.label}
                        <span aria-hidden>{s.column === c.key ? (s.direction === "asc" ? "▲" : "▼") : ""}</span>
                      </button>
                    </th>
                  ))}
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {list.data?.items.map((run) => (
                  <RunRow key={run.id} run={run} selected={selected.includes(run.id)} disabled={!selected.includes(run.id) && selected.length >= COMPARE_MAX} onToggle={toggleSelected} />
                ))}
              </tbody>
            </table>
            {list.data && list.data.items.length === 0 && (
              <div className="empty">
                <p>No runs match these filters.</p>
              </div>
            )}
            {!list.data && <p className="muted">Loading runs…</p>}
          </div>
        )}

        <div className="row" style={{ marginTop: 12 }}>
          <span className="muted small" data-testid="pagination-summary">
            {total === 0 ? "0 runs" : `${(s.page - 1) * PAGE_SIZE + 1}–${Math.min(s.page * PAGE_SIZE, total)} of ${total}`}
          </span>
          <span className="spacer" />
          <button type="button" className="btn" disabled={s.page <= 1} onClick={() => s.update({ page: String(s.page - 1) }, false)}>
            ← Previous
          </button>
          <span className="small">
            Page {s.page} of {pages}
          </span>
          <button type="button" className="btn" disabled={!list.data?.nextCursor} onClick={() => s.update({ page: String(s.page + 1) }, false)}>
            Next →
          </button>
        </div>
      </div>
    </>
  );
}

function RunRow({ run, selected, disabled, onToggle }: { run: Row; selected: boolean; disabled: boolean; onToggle: (id: string) => void }) {
  const progress = run.status === "RUNNING" ? asProgress(run.progress) : null;
  const fraction = progress?.epoch ? liveFraction(progress) : null;
  const elapsed = run.durationMs ?? (run.startedAt && run.status === "RUNNING" ? Date.now() - new Date(run.startedAt).getTime() : null);
  return (
    <tr className={selected ? "selected" : undefined} data-testid="run-row" data-run-id={run.id}>
      <td>
        <input type="checkbox" aria-label={`Select ${run.name}`} checked={selected} disabled={disabled} onChange={() => onToggle(run.id)} />
      </td>
      <td>
        <Link href={`/runs/${run.id}`}>{run.name}</Link>
        {run.tags.length > 0 && (
          <span className="row-tags">
            {run.tags.map((t) => (
              <TagChip key={t} tag={t} />
            ))}
          </span>
        )}
        {run.note && (
          <div className="muted small row-note" title={run.note}>
            {run.note.length > 80 ? `${run.note.slice(0, 80)}…` : run.note}
          </div>
        )}
      </td>
      <td title={run.error ?? undefined}>
        <StatusBadge status={run.status} />
        {fraction != null && (
          <div className="progress" style={{ marginTop: 4 }} title={`${Math.round(fraction * 100)}%`}>
            <div style={{ width: `${Math.round(fraction * 100)}%` }} />
          </div>
        )}
        {progress?.epoch != null && (
          <div className="muted small live-line" data-testid="row-progress">
            {run.cancelRequested
              ? "cancelling…"
              : progress.phase === "evaluating"
                ? `test set ${(progress.batch ?? 0).toLocaleString("en")}/${(progress.batches ?? 0).toLocaleString("en")}`
                : `e${progress.epoch}/${progress.epochs ?? run.epochsPlanned}${progress.batch != null ? ` b${progress.batch}/${progress.batches}` : ""}${
                  progress.imagesPerSec != null ? ` · ${Math.round(progress.imagesPerSec).toLocaleString("en")} img/s` : ""
                }${progress.etaSeconds != null ? ` · ${duration(progress.etaSeconds * 1000)} left` : ""}`}
          </div>
        )}
      </td>
      <td>{run.architecture}</td>
      <td className="num">{run.architecture === "imported" ? "—" : `${run.epochsCompleted}/${run.epochsPlanned}`}</td>
      <td className="num">{run.batchSize ?? "—"}</td>
      <td className="num">{lr(run.learningRate)}</td>
      <td className="num">{pct(run.bestValAccuracy)}</td>
      <td className="num" data-testid="test-accuracy">
        {pct(run.testAccuracy)}
      </td>
      <td className="num">{duration(elapsed)}</td>
      <td>{run.backend ?? "—"}</td>
      <td title={dateTime(run.startedAt ?? run.createdAt)}>{ago(run.startedAt ?? run.createdAt)}</td>
      <td>
        <CancelButton run={run} compact />
      </td>
    </tr>
  );
}

function NoRunsYet() {
  const trainCmd = useMemo(
    () =>
      [
        "# a 2-epoch demo on the Fashion-MNIST subset shipped with the repo (a few seconds)",
        'pnpm train --data-dir "$PWD/packages/data/fixtures/fashion-mnist-small" \\',
        "           --architecture tiny-cnn --epochs 2 --name first-run",
        "",
        "# the full dataset (found locally or downloaded once), the reference CNN",
        "pnpm train --architecture reference-cnn --epochs 15 --name reference",
      ].join("\n"),
    [],
  );
  return (
    <div className="panel empty" data-testid="empty-state">
      <h2>No runs yet</h2>
      <p className="muted">A run is one training job: its settings, per-epoch curves, test evaluation and exported model. Start one from the repository root:</p>
      <pre>{trainCmd}</pre>
      <ol>
        <li>The run appears here as soon as it starts, and updates live while it trains.</li>
        <li>Open it to see its curves, confusion matrix and misclassified images; select two to four runs to compare them.</li>
        <li>
          Options: <code>pnpm train --help</code>. Runs go to <code>DATABASE_URL</code> (default <code>./data/fmnist.db</code>).
        </li>
      </ol>
      <p>
        Or start one from the dashboard:{" "}
        <Link className="btn primary" href="/runs/new" data-testid="empty-new-run">
          New run
        </Link>{" "}
        <span className="muted">(a worker trains it: </span>
        <code>pnpm worker</code>
        <span className="muted">)</span>
      </p>
    </div>
  );
}
