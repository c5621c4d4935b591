import type { Prisma } from "@fmnist/db";
import type { z } from "zod";
import { asConfig, configNumber } from "../../lib/config";
import type { Context } from "../../trpc";
import type { listRunsSchema, ParamFilter, RunSortColumn } from "./list.schema";

type Input = z.output<typeof listRunsSchema>;

/** The columns a table row needs: the config is small, the epochs and the report are not needed. */
const rowSelect = {
  id: true,
  name: true,
  status: true,
  architecture: true,
  config: true,
  backend: true,
  epochsPlanned: true,
  epochsCompleted: true,
  bestEpoch: true,
  bestValAccuracy: true,
  testAccuracy: true,
  durationMs: true,
  progress: true,
  cancelRequested: true,
  error: true,
  note: true,
  sweepId: true,
  trialNumber: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  tags: { select: { tag: true }, orderBy: { tag: "asc" } },
} satisfies Prisma.RunSelect;

/** Table columns that are hyper-parameters, kept as RunParam rows under these keys. */
const PARAM_COLUMNS: Partial<Record<RunSortColumn, string>> = { batchSize: "batchSize", learningRate: "learningRate" };
/** The run's own columns behind the other sort keys, and which of them can be empty. */
const RUN_COLUMNS: Partial<Record<RunSortColumn, { field: keyof Prisma.RunOrderByWithRelationInput; nullable?: boolean }>> = {
  name: { field: "name" },
  status: { field: "status" },
  architecture: { field: "architecture" },
  epochs: { field: "epochsCompleted" },
  bestValAccuracy: { field: "bestValAccuracy", nullable: true },
  testAccuracy: { field: "testAccuracy", nullable: true },
  durationMs: { field: "durationMs", nullable: true },
  backend: { field: "backend", nullable: true },
};

const NUMBER_OPS = { eq: "equals", lt: "lt", lte: "lte", gt: "gt", gte: "gte" } as const;

function paramCondition(f: ParamFilter): Prisma.RunWhereInput {
  if (typeof f.value === "string") return { params: { some: { key: f.key, textValue: f.value } } };
  const value = typeof f.value === "boolean" ? Number(f.value) : f.value;
  return { params: { some: { key: f.key, numValue: { [NUMBER_OPS[f.op]]: value } } } };
}

/** Runs whose name contains `search`, ignoring case. SQLite's LIKE ignores ASCII case already;
 * PostgreSQL needs ILIKE (mode), which SQLite refuses. Prisma passes LIKE wildcards (% _, and \ on
 * PostgreSQL) through unescaped, so a search with one matches each as "any one character" and then
 * keeps the names that really contain the text. */
async function nameContains(ctx: Context, search: string): Promise<Prisma.RunWhereInput> {
  const mode = ctx.dialect === "postgres" ? { mode: "insensitive" as const } : {};
  if (!/[%_\\]/.test(search)) return { name: { contains: search, ...mode } };
  const candidates = await ctx.db.run.findMany({ where: { name: { contains: search.replace(/[%_\\]/g, "_"), ...mode } }, select: { id: true, name: true } });
  const needle = search.toLowerCase();
  return { id: { in: candidates.filter((r) => r.name.toLowerCase().includes(needle)).map((r) => r.id) } };
}

/** The filters as one Prisma where, the same on both databases. */
async function runWhere(ctx: Context, input: Input): Promise<Prisma.RunWhereInput> {
  const and: Prisma.RunWhereInput[] = [];
  if (input.status?.length) and.push({ status: { in: input.status } });
  if (input.architecture) and.push({ architecture: input.architecture });
  if (input.search) and.push(await nameContains(ctx, input.search));
  if (input.tags?.length) and.push({ tags: { some: { tag: { in: input.tags } } } });
  if (input.sweepId) and.push({ sweepId: input.sweepId });
  for (const f of input.params ?? []) and.push(paramCondition(f));
  return { AND: and };
}

const newestFirst: Prisma.RunOrderByWithRelationInput[] = [{ createdAt: "desc" }, { id: "desc" }];

/** A page of run ids in order, and whether there is a next one (limit + 1 rows are asked for). */
async function pageIds(ctx: Context, input: Input, where: Prisma.RunWhereInput, skip: number): Promise<string[]> {
  const take = input.limit + 1;
  const { column, direction } = input.sort;
  const paramKey = column.startsWith("param:") ? column.slice(6) : PARAM_COLUMNS[column as RunSortColumn];
  if (paramKey) {
    // The runs with the parameter, ordered by its value through RunParam, then those without it:
    // NULLS LAST in both directions, ties newest first. No run filter, no join.
    const paramWhere: Prisma.RunParamWhereInput = where.AND && (where.AND as unknown[]).length ? { key: paramKey, run: where } : { key: paramKey };
    // A numeric parameter (the usual case) sorts on numValue alone, which its index serves.
    const hasText = (await ctx.db.runParam.findFirst({ where: { key: paramKey, textValue: { not: null } }, select: { runId: true } })) !== null;
    const byValue: Prisma.RunParamOrderByWithRelationInput[] = hasText
      ? [{ numValue: { sort: direction, nulls: "last" } }, { textValue: { sort: direction, nulls: "last" } }]
      : [{ numValue: direction }];
    const rows = await ctx.db.runParam.findMany({
      where: paramWhere,
      orderBy: [...byValue, { run: { createdAt: "desc" } }, { runId: "desc" }],
      skip,
      take,
      select: { runId: true },
    });
    const ids = rows.map((r) => r.runId);
    if (ids.length < take) {
      // Past the runs with the param: how many there are says where the others start (counted
      // only when this page holds none of them).
      const withIt = ids.length > 0 ? skip + ids.length : await ctx.db.runParam.count({ where: paramWhere });
      const others = await ctx.db.run.findMany({
        where: { AND: [where, { params: { none: { key: paramKey } } }] },
        orderBy: newestFirst,
        skip: Math.max(0, skip - withIt),
        take: take - ids.length,
        select: { id: true },
      });
      ids.push(...others.map((r) => r.id));
    }
    return ids;
  }
  const c = RUN_COLUMNS[column as RunSortColumn];
  const orderBy: Prisma.RunOrderByWithRelationInput[] = c
    ? [{ [c.field]: c.nullable ? { sort: direction, nulls: "last" } : direction }, ...newestFirst]
    : [{ createdAt: direction }, { id: direction }];
  const rows = await ctx.db.run.findMany({ where, orderBy, skip, take, select: { id: true } });
  return rows.map((r) => r.id);
}

/** Ordinary Prisma queries on SQLite and PostgreSQL alike (no raw SQL): filters on the run's
 * columns, its tags, its sweep and any hyper-parameter (RunParam); sorting by any of them. */
export async function listRunsHandler(ctx: Context, input: Input) {
  const skip = input.cursor ?? 0;
  const where = await runWhere(ctx, input);
  const [idRows, total] = await Promise.all([pageIds(ctx, input, where, skip), ctx.db.run.count({ where })]);
  const hasMore = idRows.length > input.limit;
  const ids = idRows.slice(0, input.limit);
  const found = ids.length ? await ctx.db.run.findMany({ where: { id: { in: ids } }, select: rowSelect }) : [];
  const byId = new Map(found.map((r) => [r.id, r]));
  // A run deleted between the two queries is simply left out.
  const rows = ids.map((id) => byId.get(id)).filter((r) => r !== undefined);
  return {
    items: rows.map(({ config, tags, ...run }) => {
      const c = asConfig(config);
      return { ...run, tags: tags.map((t) => t.tag), batchSize: configNumber(c, "batchSize"), learningRate: configNumber(c, "learningRate") };
    }),
    total,
    nextCursor: hasMore ? skip + ids.length : null,
  };
}

export type ListRunsOutput = Awaited<ReturnType<typeof listRunsHandler>>;
