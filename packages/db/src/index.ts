// Types and constants only: safe to import anywhere. The client lives in "@fmnist/db/client".
export type { Artifact, EpochMetric, Evaluation, Misclassified, Run } from "./generated/sqlite/client";
export { RUN_STATUSES, TERMINAL_STATUSES, type RunStatus } from "./status";
