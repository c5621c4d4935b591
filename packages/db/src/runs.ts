import type { Db } from "./client";
import type { Prisma } from "./generated/sqlite/client";
import { runParamRows } from "./run-params";
import type { RunStatus } from "./status";

/**
 * The run record's lifecycle: every place that creates a run (the dashboard's API, the CLI, retries,
 * clones, sweep trials) goes through `createRun`, so the row, its RunParam rows and its tags are
 * always written together and the stored config is exactly the requested one.
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
