import { RUN_STATUSES, type RunStatus } from "@fmnist/db";
import type { Context } from "../../trpc";

/** What the filters offer: the architectures and tags that have runs, and how many runs are in each status
 * (the page polls while some are QUEUED or RUNNING). The architecture list comes from the data, not
 * @fmnist/model, so the server bundle does not load tfjs for it. */
export async function facetsHandler(ctx: Context) {
  const [byStatus, byArchitecture, byTag] = await Promise.all([
    ctx.db.run.groupBy({ by: ["status"], _count: { _all: true } }),
    ctx.db.run.groupBy({ by: ["architecture"], _count: { _all: true } }),
    ctx.db.runTag.groupBy({ by: ["tag"], _count: { _all: true } }),
  ]);
  const statusCounts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
  for (const row of byStatus) if (row.status in statusCounts) statusCounts[row.status as RunStatus] = row._count._all;
  const total = byStatus.reduce((s, r) => s + r._count._all, 0);
  return {
    total,
    statusCounts,
    architectures: byArchitecture
      .map((r) => ({ name: r.architecture, count: r._count._all }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    // The most used first; the filter row shows them all, so keep it bounded.
    tags: byTag
      .map((r) => ({ name: r.tag, count: r._count._all }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
      .slice(0, 50),
    active: statusCounts.QUEUED + statusCounts.RUNNING,
  };
}

export type FacetsOutput = Awaited<ReturnType<typeof facetsHandler>>;
