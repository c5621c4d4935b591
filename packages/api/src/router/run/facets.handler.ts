import { RUN_STATUSES, type RunStatus } from "@fmnist/db";
import { ARCHITECTURE_NAMES } from "@fmnist/model";
import type { Context } from "../../trpc";

/** What the filters offer: every known architecture (and any other found in the runs), and how
 * many runs are in each status (the page polls while some are QUEUED or RUNNING). */
export async function facetsHandler(ctx: Context) {
  const [byStatus, byArchitecture] = await Promise.all([
    ctx.db.run.groupBy({ by: ["status"], _count: { _all: true } }),
    ctx.db.run.groupBy({ by: ["architecture"], _count: { _all: true } }),
  ]);
  const statusCounts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
  for (const row of byStatus) if (row.status in statusCounts) statusCounts[row.status as RunStatus] = row._count._all;
  const architectures = [...ARCHITECTURE_NAMES] as string[];
  for (const row of byArchitecture) if (!architectures.includes(row.architecture)) architectures.push(row.architecture);
  const total = byStatus.reduce((s, r) => s + r._count._all, 0);
  return {
    total,
    statusCounts,
    architectures: architectures.map((name) => ({ name, count: byArchitecture.find((r) => r.architecture === name)?._count._all ?? 0 })),
    active: statusCounts.QUEUED + statusCounts.RUNNING,
  };
}

export type FacetsOutput = Awaited<ReturnType<typeof facetsHandler>>;
