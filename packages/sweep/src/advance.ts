// The database side of sweeps (server and trainer only): queueing trials and the pruning question.
import type { Db } from "@fmnist/db/client";
import { createRun } from "@fmnist/db/runs";
import { ashaDecision, ashaRungs } from "./asha";
import { gridParams } from "./grid";
import { proposeParams } from "./propose";
import { gridSize, maximises, type SweepDefinition, sweepDefinitionSchema, type TrialParams, trialConfig } from "./schema";
import type { Observation } from "./tpe";

const ACTIVE = ["QUEUED", "RUNNING"] as const;

export interface AdvanceResult {
  queued: number[];
  finished: boolean;
}

/** The trial's parameters: the searched fields of its stored config. */
export function trialParams(definition: SweepDefinition, config: unknown): TrialParams {
  const c = (config ?? {}) as Record<string, unknown>;
  const out: TrialParams = {};
  for (const key of Object.keys(definition.space)) {
    const v = c[key];
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[key] = v;
  }
  return out;
}

/** A trial's objective: its kept checkpoint's validation metric (best so far for a pruned one). */
export function trialObjective(definition: SweepDefinition, run: { bestValAccuracy: number | null; bestValLoss: number | null }): number | null {
  return definition.objective === "val_accuracy" ? run.bestValAccuracy : run.bestValLoss;
}

/**
 * Brings a sweep up to date; idempotent, safe to call from any process at any time (the API on
 * create/extend, a worker after each trial, the periodic lease sweep). Queues trials up to
 * maxConcurrent active and the budget, proposing from the finished trials, and marks the sweep
 * FINISHED once the budget is spent and every trial is final. FAILED trials (a dead worker, a
 * crash) do not use the budget, so they are replaced, at most `trialBudget` times in all, so a
 * config that always fails cannot loop forever. Two processes proposing the same trial number
 * collide on the unique (sweepId, trialNumber): the loser stops and leaves the rest to the winner.
 */
export async function advanceSweep(db: Db, sweepId: string): Promise<AdvanceResult> {
  const sweep = await db.sweep.findUnique({ where: { id: sweepId } });
  if (sweep?.status !== "RUNNING") return { queued: [], finished: sweep?.status === "FINISHED" };
  const definition = sweepDefinitionSchema.parse(sweep.definition);
  const trials = await db.run.findMany({
    where: { sweepId },
    select: { trialNumber: true, status: true, config: true, bestValAccuracy: true, bestValLoss: true },
  });
  const active = trials.filter((t) => (ACTIVE as readonly string[]).includes(t.status)).length;
  const failed = trials.filter((t) => t.status === "FAILED").length;
  const used = trials.length - failed;
  // Failed trials are replaced until the sweep holds twice its budget of trials.
  const exhausted = trials.length >= 2 * sweep.trialBudget;
  const room = Math.min(sweep.maxConcurrent - active, sweep.trialBudget - used, 2 * sweep.trialBudget - trials.length);

  const queued: number[] = [];
  if (room > 0) {
    const maximise = maximises(definition.objective);
    const observations: Observation[] = trials
      .filter((t) => t.status === "SUCCEEDED" || t.status === "PRUNED")
      .map((t) => {
        const v = trialObjective(definition, t);
        return { params: trialParams(definition, t.config), score: v == null ? Number.NaN : maximise ? v : -v, pruned: t.status === "PRUNED" };
      });
    let next = trials.reduce((m, t) => Math.max(m, t.trialNumber ?? -1), -1) + 1;
    // Grid points already taken by trials that did not fail: a failed point is proposed again.
    const taken = new Set(trials.filter((t) => t.status !== "FAILED").map((t) => JSON.stringify(sortedParams(trialParams(definition, t.config)))));
    for (let i = 0; i < room; i++, next++) {
      const params = definition.method === "grid" ? nextGridPoint(definition, taken) : proposeParams(definition, next, observations);
      taken.add(JSON.stringify(sortedParams(params)));
      const config = trialConfig(definition, params, next);
      try {
        await createRun(db, { config, status: "QUEUED", sweepId, trialNumber: next, tags: ["sweep"] }, { id: true });
        queued.push(next);
      } catch (e) {
        if (isUniqueViolation(e)) break; // another process queued this trial: it advances the rest
        throw e;
      }
    }
  }
  let finished = false;
  if (queued.length === 0 && active === 0 && (used >= sweep.trialBudget || exhausted)) {
    const { count } = await db.sweep.updateMany({ where: { id: sweepId, status: "RUNNING" }, data: { status: "FINISHED", finishedAt: new Date() } });
    finished = count === 1;
  }
  return { queued, finished };
}

/** advanceSweep for every RUNNING sweep (the periodic lease sweep, a worker's idle loop). */
export async function advanceRunningSweeps(db: Db): Promise<void> {
  const sweeps = await db.sweep.findMany({ where: { status: "RUNNING" }, select: { id: true } });
  for (const s of sweeps) await advanceSweep(db, s.id);
}

function sortedParams(p: TrialParams): TrialParams {
  return Object.fromEntries(Object.entries(p).sort(([a], [b]) => a.localeCompare(b)));
}

/** The first grid point no live or finished trial has (in grid order). */
function nextGridPoint(definition: SweepDefinition, taken: Set<string>): TrialParams {
  const size = gridSize(definition.space);
  for (let k = 0; k < size; k++) {
    const p = gridParams(definition.space, k);
    if (!taken.has(JSON.stringify(sortedParams(p)))) return p;
  }
  throw new Error("every grid point has a trial");
}

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string; meta?: unknown };
  return err?.code === "P2002" || /unique constraint/i.test(err?.message ?? "");
}

export interface PruneVerdict {
  rung: number;
  decision: "continue" | "stop";
  /** Trials (this one included) that reached the rung. */
  competing: number;
}

/**
 * The pruner's question for a trial that just recorded `epoch` (its EpochMetric row is written):
 * at a rung, compare its objective with every trial of the sweep that reached the same epoch.
 * Null when the run is no trial, the sweep has no early termination, or the epoch is no rung.
 */
export async function pruneVerdict(db: Db, runId: string, epoch: number): Promise<PruneVerdict | null> {
  const run = await db.run.findUnique({ where: { id: runId }, select: { sweepId: true, epochsPlanned: true, sweep: { select: { definition: true } } } });
  if (!run?.sweepId || !run.sweep) return null;
  const definition = sweepDefinitionSchema.parse(run.sweep.definition);
  const et = definition.earlyTermination;
  if (!et || !ashaRungs(et.minResource, et.reductionFactor, run.epochsPlanned).includes(epoch)) return null;
  const rows = await db.epochMetric.findMany({
    where: { epoch, run: { sweepId: run.sweepId } },
    select: { runId: true, valAccuracy: true, valLoss: true },
  });
  const metric = (r: { valAccuracy: number | null; valLoss: number | null }) => (definition.objective === "val_accuracy" ? r.valAccuracy : r.valLoss);
  const own = rows.find((r) => r.runId === runId);
  const value = own ? metric(own) : null;
  if (value == null) return null;
  const competing = rows.map(metric).filter((v): v is number => v != null);
  return { rung: epoch, decision: ashaDecision(value, competing, et.reductionFactor, maximises(definition.objective)), competing: competing.length };
}

/** Stores a validated definition as a RUNNING sweep and queues its first trials (API and CLI). */
export async function createSweep(db: Db, definition: SweepDefinition) {
  const sweep = await db.sweep.create({
    data: {
      name: definition.name,
      definition: definition as unknown as object,
      method: definition.method,
      objective: definition.objective,
      trialBudget: definition.trialBudget,
      maxConcurrent: definition.maxConcurrent,
    },
    select: { id: true, name: true, status: true },
  });
  const advanced = await advanceSweep(db, sweep.id);
  return { ...sweep, queued: advanced.queued.length };
}
