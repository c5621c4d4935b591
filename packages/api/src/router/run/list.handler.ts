import type { z } from "zod";
import { asConfig, configNumber } from "../../lib/config";
import type { Context, Dialect } from "../../trpc";
import type { listRunsSchema, RunSortColumn } from "./list.schema";

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
  createdAt: true,
  startedAt: true,
  finishedAt: true,
} as const;

/** SQL for each sort column (a whitelist: nothing from the request reaches the SQL text). Batch size
 * and learning rate live in the config JSON, which Prisma's orderBy cannot reach. */
function sortExpression(column: RunSortColumn, dialect: Dialect): string {
  const json = (key: string) => (dialect === "postgres" ? `("config"->>'${key}')::double precision` : `json_extract("config", '$.${key}')`);
  switch (column) {
    case "batchSize":
    case "learningRate":
      return json(column);
    case "epochs":
      return `"epochsCompleted"`;
    default:
      return `"${column}"`;
  }
}

/**
 * One parameterised query for the page of ids and one for the count, with the same WHERE clause.
 * Raw SQL rather than Prisma's findMany because of the JSON sort keys, NULLS LAST in both
 * directions, and a name search that treats % and _ literally (Prisma's `contains` does not).
 */
function buildQuery(input: Input, dialect: Dialect, skip: number) {
  const pg = dialect === "postgres";
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return pg ? `$${params.length}` : "?";
  };
  const conditions: string[] = [];
  if (input.status?.length) conditions.push(`"status" IN (${input.status.map(p).join(", ")})`);
  if (input.architecture) conditions.push(`"architecture" = ${p(input.architecture)}`);
  if (input.search) {
    const pattern = `%${input.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // SQLite's LIKE ignores ASCII case; PostgreSQL needs ILIKE.
    conditions.push(`"name" ${pg ? "ILIKE" : "LIKE"} ${p(pattern)} ESCAPE '\\'`);
  }
  const where = conditions.length ? ` WHERE ${conditions.join(" AND ")}` : "";
  const countParams = [...params];
  const { column, direction } = input.sort;
  const dir = direction === "asc" ? "ASC" : "DESC";
  // Runs without a value (still training, failed) go last in both directions; ties newest first.
  const order =
    column === "createdAt"
      ? `"createdAt" ${dir}, "id" ${dir}`
      : `${sortExpression(column, dialect)} ${dir} NULLS LAST, "createdAt" DESC, "id" DESC`;
  // limit + 1 rows: the extra one says whether there is a next page.
  const page = `SELECT "id" FROM "Run"${where} ORDER BY ${order} LIMIT ${p(input.limit + 1)} OFFSET ${p(skip)}`;
  return { page, params, count: `SELECT COUNT(*) AS "n" FROM "Run"${where}`, countParams };
}

export async function listRunsHandler(ctx: Context, input: Input) {
  const skip = input.cursor ?? 0;
  const q = buildQuery(input, ctx.dialect, skip);
  const [idRows, countRows] = await Promise.all([
    ctx.db.$queryRawUnsafe<{ id: string }[]>(q.page, ...q.params),
    ctx.db.$queryRawUnsafe<{ n: number | bigint }[]>(q.count, ...q.countParams),
  ]);
  const hasMore = idRows.length > input.limit;
  const ids = idRows.slice(0, input.limit).map((r) => r.id);
  const found = ids.length ? await ctx.db.run.findMany({ where: { id: { in: ids } }, select: rowSelect }) : [];
  const byId = new Map(found.map((r) => [r.id, r]));
  // A run deleted between the two queries is simply left out.
  const rows = ids.map((id) => byId.get(id)).filter((r) => r !== undefined);
  return {
    items: rows.map(({ config, ...run }) => {
      const c = asConfig(config);
      return { ...run, batchSize: configNumber(c, "batchSize"), learningRate: configNumber(c, "learningRate") };
    }),
    total: Number(countRows[0]?.n ?? 0),
    nextCursor: hasMore ? skip + ids.length : null,
  };
}

export type ListRunsOutput = Awaited<ReturnType<typeof listRunsHandler>>;
