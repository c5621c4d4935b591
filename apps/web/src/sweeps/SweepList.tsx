"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { StatusBadge } from "~/components/StatusBadge";
import { dateTime, num, pct } from "~/lib/format";
import { useTRPC } from "~/trpc/react";

/** Every sweep, newest first; polls while one runs. */
export function SweepList() {
  const trpc = useTRPC();
  const list = useQuery(
    trpc.sweeps.list.queryOptions(undefined, { refetchInterval: (q) => (q.state.data?.items.some((s) => s.status === "RUNNING") ? 2000 : 10_000) }),
  );
  return (
    <>
      <div className="page-head">
        <h1>Sweeps</h1>
        <Link className="btn primary" href="/sweeps/new" data-testid="new-sweep">
          New sweep
        </Link>
      </div>
      <div className="panel">
        {list.error && <div className="error-box">{list.error.message}</div>}
        {list.data && list.data.items.length === 0 && <p className="muted">No sweeps yet. A sweep searches hyper-parameters with ordinary runs on the queue.</p>}
        {list.data && list.data.items.length > 0 && (
          <div className="table-wrap">
            <table className="data" data-testid="sweeps-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Method</th>
                  <th>Objective</th>
                  <th className="num">Trials</th>
                  <th className="num">Pruned</th>
                  <th className="num">Best</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <Link href={`/sweeps/${s.id}`}>{s.name}</Link>
                    </td>
                    <td>
                      <StatusBadge status={s.status} />
                    </td>
                    <td>{s.method}</td>
                    <td>{s.objective === "val_accuracy" ? "max val accuracy" : "min val loss"}</td>
                    <td className="num">
                      {s.trials} / {s.trialBudget}
                    </td>
                    <td className="num">{s.byStatus.PRUNED ?? 0}</td>
                    <td className="num">{s.objective === "val_accuracy" ? pct(s.bestObjective, 2) : num(s.bestObjective, 4)}</td>
                    <td>{dateTime(s.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}
