// Types and constants only: safe to import anywhere. The client lives in "@fmnist/db/client".
export type { Artifact, EpochMetric, Evaluation, Misclassified, Prisma, Run, RunParam, RunTag, Sweep } from "./generated/sqlite/client";
export { type RunParamRow, runParamRows } from "./run-params";
export { RUN_STATUSES, RunStatus, SWEEP_STATUSES, SweepStatus, TERMINAL_STATUSES } from "./status";
