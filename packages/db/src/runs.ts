import type { Db } from "./client";
import { defaultLeaseMs } from "./config";
import type { Prisma } from "./generated/sqlite/client";
import { runParamRows } from "./run-params";
import type { RunStatus } from "./status";

/**
 * The run record's lifecycle, the one module that writes Run.status:
 *
 *   createRun -> QUEUED --claimRun--> RUNNING --finishRun--> SUCCEEDED
 *                  |                    |------failRun----> FAILED   (also the lease sweep)
 *                  |                    |------markCancelled> CANCELLED (after requestCancel)
 *                  |                    |------pruneRun---> PRUNED   (sweep trials)
 *                  |                    '------requeueRun-> QUEUED   (worker shutdown)
 *                  '--requestCancel--> CANCELLED
 *
 * Every transition is one conditional update on the status it starts from, so a race (two
 * workers, a worker and the lease sweep, a worker and a person) has one winner on SQLite and
 * PostgreSQL alike, and the loser learns it (a false result or RunStateError) instead of
 * overwriting. Every place that creates a run (the dashboard's API, the CLI, retries, clones,
 * sweep trials) goes through `createRun`, so the row, its RunParam rows and its tags are written
 * together and the stored config is exactly the requested one.
 */

/** The fields of a train config that the Run row mirrors in columns of its own. */
export interface RunConfigCore {
  name: string;
  architecture: string;
  seed: number;
  epochs: number;
}

export interface CreateRunInput<C extends RunConfigCore> {
  /** The config exactly as requested (validated by the caller's schema); stored unchanged. */
  config: C;
  /** QUEUED for a worker to claim; RUNNING when the caller trains it now (the CLI). */
  status: Extract<RunStatus, "QUEUED" | "RUNNING">;
  parentRunId?: string | null;
  sweepId?: string | null;
  trialNumber?: number | null;
  tags?: readonly string[];
  note?: string | null;
  /** RUNNING runs: who holds them and until when (see leases). */
  workerId?: string | null;
  leaseExpiresAt?: Date | null;
  codeVersion?: string | null;
}

export function createRun<C extends RunConfigCore, S extends Prisma.RunSelect>(
  db: Db | Prisma.TransactionClient,
  input: CreateRunInput<C>,
  select?: S,
) {
  const { config } = input;
  const now = new Date();
  return db.run.create({
    data: {
      name: config.name,
      architecture: config.architecture,
      config: config as unknown as Prisma.InputJsonValue,
      seed: config.seed,
      status: input.status,
      epochsPlanned: config.epochs,
      startedAt: input.status === "RUNNING" ? now : null,
      parentRunId: input.parentRunId ?? null,
      sweepId: input.sweepId ?? null,
      trialNumber: input.trialNumber ?? null,
      note: input.note ?? null,
      workerId: input.workerId ?? null,
      leaseExpiresAt: input.leaseExpiresAt ?? null,
      codeVersion: input.codeVersion ?? null,
      params: { create: runParamRows(config) },
      tags: input.tags?.length ? { create: [...new Set(input.tags)].map((tag) => ({ tag })) } : undefined,
    },
    select: select as S,
  });
}

/** Thrown when a transition finds the run in another state than it requires (a race lost to a
 * worker, the lease sweep or a person): the caller decides whether that is an error. */
export class RunStateError extends Error {
  constructor(
    readonly runId: string,
    readonly transition: string,
    readonly status: RunStatus | null,
  ) {
    super(status === null ? `run ${runId} does not exist` : `run ${runId} is ${status}: cannot ${transition} it`);
    this.name = "RunStateError";
  }
}

type Writer = Db | Prisma.TransactionClient;
/** Error messages are kept to what a page can show. */
const ERROR_MAX = 4000;

async function refuse(db: Writer, runId: string, transition: string): Promise<never> {
  const row = await db.run.findUnique({ where: { id: runId }, select: { status: true } });
  throw new RunStateError(runId, transition, row?.status ?? null);
}

/** A run created from an imported model file (kind "imported"): no params, no epochs. */
export interface ImportedRunFields {
  name: string;
  kind: string;
  architecture: string;
  config: unknown;
  seed: number;
  epochsPlanned: number;
  sourceFileName: string;
  sourceSha256: string;
  sourceFormat: string;
  kerasVersion: string;
}

export function createImportedRun(
  db: Writer,
  fields: ImportedRunFields & Partial<ResolvedFields>,
  input: { status: Extract<RunStatus, "QUEUED" | "RUNNING"> },
) {
  return db.run.create({
    data: {
      ...fields,
      config: fields.config as Prisma.InputJsonValue,
      status: input.status,
      startedAt: input.status === "RUNNING" ? new Date() : null,
    },
  });
}

/**
 * QUEUED -> RUNNING for this worker: one conditional update (only while still QUEUED), so of
 * several workers racing for a run exactly one gets it, on SQLite and PostgreSQL alike (row lock +
 * re-check). A re-queued run starts over: what an earlier attempt recorded is dropped.
 */
export async function claimRun(db: Db, runId: string, workerId: string, leaseMs = defaultLeaseMs()) {
  const now = new Date();
  const { count } = await db.run.updateMany({
    where: { id: runId, status: "QUEUED" },
    data: { status: "RUNNING", workerId, startedAt: now, leaseExpiresAt: new Date(now.getTime() + leaseMs) },
  });
  if (count !== 1) return null;
  await db.epochMetric.deleteMany({ where: { runId } });
  return db.run.findUniqueOrThrow({ where: { id: runId } });
}

/** Claims the oldest QUEUED run for this worker; null when the queue is empty. */
export async function claimNextRun(db: Db, workerId: string, leaseMs = defaultLeaseMs()) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const candidates = await db.run.findMany({
      where: { status: "QUEUED" },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: { id: true },
      take: 5,
    });
    if (candidates.length === 0) return null;
    for (const { id } of candidates) {
      const run = await claimRun(db, id, workerId, leaseMs);
      if (run) return run;
    }
  }
  return null;
}

/** What the trainer resolved for a run: fields of their own, never folded into `config`. */
export interface ResolvedFields {
  backend: string | null;
  backendNote: string | null;
  datasetChecksum: string | null;
  datasetDir: string | null;
  datasetSource: string | null;
  datasetSubset: string | null;
  codeVersion: string | null;
}

/** A claimed (or still queued) run begins: RUNNING, its earlier error cleared. Refused when the run
 * was cancelled, failed or deleted meanwhile. */
export async function startRun(db: Writer, runId: string, resolved: Partial<ResolvedFields> = {}) {
  const { count } = await db.run.updateMany({
    where: { id: runId, status: { in: ["QUEUED", "RUNNING"] } },
    data: { ...resolved, status: "RUNNING", startedAt: new Date(), error: null },
  });
  if (count !== 1) await refuse(db, runId, "start");
  return db.run.findUniqueOrThrow({ where: { id: runId } });
}

/** Records what the trainer resolved (backend, dataset, code version) on a running run. */
export async function recordResolved(db: Writer, runId: string, resolved: Partial<ResolvedFields>): Promise<void> {
  const { count } = await db.run.updateMany({ where: { id: runId, status: "RUNNING" }, data: resolved });
  if (count !== 1) await refuse(db, runId, "record the resolved setup of");
}

/** Extends the lease of a run this worker holds; false when it holds it no more (failed by the
 * sweep, deleted), which the heartbeat's owner may treat as "stop". */
export async function renewLease(db: Db, runId: string, workerId: string, leaseMs = defaultLeaseMs()): Promise<boolean> {
  const { count } = await db.run.updateMany({
    where: { id: runId, workerId, status: "RUNNING" },
    data: { leaseExpiresAt: new Date(Date.now() + leaseMs) },
  });
  return count === 1;
}

/** Renews a run's lease every third of its length until stopped: the one heartbeat of CLI runs and
 * worker runs. The timer fires between batches because fit() yields to the event loop. */
export function startHeartbeat(db: Db, runId: string, workerId: string, leaseMs = defaultLeaseMs()): { stop(): void } {
  const timer = setInterval(() => void renewLease(db, runId, workerId, leaseMs).catch(() => undefined), leaseMs / 3);
  return { stop: () => clearInterval(timer) };
}

/** Live progress of a running run; returns whether someone asked to cancel it (read back with
 * the same write, so the trainer needs no extra query). */
export async function recordProgress(db: Db, runId: string, progress: object): Promise<{ cancelRequested: boolean }> {
  const row = await db.run.update({ where: { id: runId }, data: { progress }, select: { cancelRequested: true } });
  return row;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  learningRate: number;
  durationMs: number;
  imagesPerSec: number;
}

/** One finished epoch and the checkpoint kept so far, written together. */
export async function recordEpoch(
  db: Db,
  runId: string,
  epoch: EpochRecord,
  kept: { epoch: number; valLoss: number | null; valAccuracy: number | null } | null | undefined,
): Promise<void> {
  await db.$transaction([
    db.epochMetric.create({ data: { runId, ...epoch, durationMs: Math.round(epoch.durationMs) } }),
    db.run.update({
      where: { id: runId },
      data: { epochsCompleted: epoch.epoch, ...(kept ? keptColumns(kept) : {}) },
    }),
  ]);
}

/** The weights that will be evaluated and exported, when they are not an epoch's checkpoint (weight
 * averaging): `epoch` is the last epoch they include, the validation figures are their own. */
export async function recordKept(db: Db, runId: string, kept: { epoch: number; valLoss: number; valAccuracy: number }): Promise<void> {
  await db.run.update({ where: { id: runId }, data: keptColumns(kept) });
}

/** The run's columns for the weights it will evaluate and export. */
function keptColumns(kept: { epoch: number; valLoss: number | null; valAccuracy: number | null }) {
  return { bestEpoch: kept.epoch, bestValLoss: kept.valLoss, bestValAccuracy: kept.valAccuracy };
}

export interface RunResults {
  testAccuracy: number;
  testAccuracyTta?: number | null;
  testLoss: number;
  durationMs: number;
  imagesPerSec?: number | null;
}

/** RUNNING -> SUCCEEDED with its results. Meant to run inside the transaction that writes the
 * evaluation and artifacts: when the run is no longer RUNNING (the sweep failed it, it was
 * deleted) it throws, and the transaction records none of it. */
export async function finishRun(db: Writer, runId: string, results: RunResults): Promise<void> {
  const { count } = await db.run.updateMany({
    where: { id: runId, status: "RUNNING" },
    data: {
      status: "SUCCEEDED",
      finishedAt: new Date(),
      testAccuracy: results.testAccuracy,
      testAccuracyTta: results.testAccuracyTta ?? null,
      testLoss: results.testLoss,
      durationMs: results.durationMs,
      imagesPerSec: results.imagesPerSec ?? null,
    },
  });
  if (count !== 1) await refuse(db, runId, "finish");
}

export interface FailGuard {
  /** Only while this worker holds it. */
  workerId?: string;
  /** Only when its lease ran out before this time (the lease sweep: a renewal in between wins). */
  leaseExpiredBefore?: Date;
  now?: Date;
  durationMs?: number;
}

/** QUEUED or RUNNING -> FAILED with the message; false when it was no longer either (finished,
 * cancelled, renewed, deleted), in which case nothing is written. */
export async function failRun(db: Writer, runId: string, error: string, guard: FailGuard = {}): Promise<boolean> {
  const { count } = await db.run.updateMany({
    where: {
      id: runId,
      status: { in: ["QUEUED", "RUNNING"] },
      ...(guard.workerId ? { workerId: guard.workerId } : {}),
      ...(guard.leaseExpiredBefore ? { status: "RUNNING", leaseExpiresAt: { lt: guard.leaseExpiredBefore } } : {}),
    },
    data: { status: "FAILED", error: error.slice(0, ERROR_MAX), finishedAt: guard.now ?? new Date(), ...(guard.durationMs !== undefined ? { durationMs: guard.durationMs } : {}) },
  });
  return count === 1;
}

export type CancelOutcome =
  | { outcome: "cancelled" | "requested"; run: { id: string; name: string; status: RunStatus } }
  | { outcome: "finished"; run: { id: string; name: string; status: RunStatus } }
  | { outcome: "missing" | "conflict" };

/**
 * A person asks to cancel: QUEUED -> CANCELLED at once; RUNNING -> cancelRequested, which the
 * trainer reads with its next progress write and honours after the current batch. Each write is
 * conditional on the status just read; when a worker moved the run in between (claimed it,
 * finished it) it reads again and acts on the new state instead of overwriting it.
 */
export async function requestCancel(db: Db, runId: string): Promise<CancelOutcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const run = await db.run.findUnique({ where: { id: runId }, select: { id: true, name: true, status: true } });
    if (!run) return { outcome: "missing" };
    if (run.status === "QUEUED") {
      const { count } = await db.run.updateMany({
        where: { id: run.id, status: "QUEUED" },
        data: { status: "CANCELLED", cancelRequested: true, finishedAt: new Date() },
      });
      if (count === 1) return { outcome: "cancelled", run: { ...run, status: "CANCELLED" } };
    } else if (run.status === "RUNNING") {
      const { count } = await db.run.updateMany({ where: { id: run.id, status: "RUNNING" }, data: { cancelRequested: true } });
      if (count === 1) return { outcome: "requested", run };
    } else {
      return { outcome: "finished", run };
    }
  }
  return { outcome: "conflict" };
}

/** RUNNING -> CANCELLED: the trainer stopped at a batch boundary as asked. Epochs stay. */
export async function markCancelled(db: Writer, runId: string, durationMs?: number): Promise<boolean> {
  const { count } = await db.run.updateMany({
    where: { id: runId, status: "RUNNING" },
    data: { status: "CANCELLED", error: null, finishedAt: new Date(), ...(durationMs !== undefined ? { durationMs } : {}) },
  });
  return count === 1;
}

/** RUNNING -> PRUNED: a sweep's pruner stopped an unpromising trial. Its epochs stay, so the sweep
 * page can still draw its curve. */
export async function pruneRun(db: Writer, runId: string, reason: string, durationMs?: number): Promise<boolean> {
  const { count } = await db.run.updateMany({
    where: { id: runId, status: "RUNNING" },
    data: { status: "PRUNED", error: reason.slice(0, ERROR_MAX), finishedAt: new Date(), ...(durationMs !== undefined ? { durationMs } : {}) },
  });
  return count === 1;
}

/** RUNNING -> QUEUED: a worker shutting down gives back the run it holds, to start over elsewhere.
 * Not when someone asked to cancel it meanwhile (that run is stopped, not re-queued). */
export async function requeueRun(db: Db, runId: string, workerId: string): Promise<boolean> {
  const { count } = await db.run.updateMany({
    // CANCELLED too: the trainer marks a run it stopped for the shutdown CANCELLED first; a
    // person's cancel (cancelRequested) is never undone.
    where: { id: runId, workerId, status: { in: ["RUNNING", "CANCELLED"] }, cancelRequested: false },
    data: { status: "QUEUED", workerId: null, leaseExpiresAt: null, startedAt: null, finishedAt: null, epochsCompleted: 0 },
  });
  return count === 1;
}
