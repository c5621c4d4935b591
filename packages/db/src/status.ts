import { RunStatus, SweepStatus } from "./generated/sqlite/enums";

// The statuses are the schema's enums (Prisma generates them; both providers' enums are identical).
export const RUN_STATUSES = Object.values(RunStatus) as readonly RunStatus[];
export const TERMINAL_STATUSES: readonly RunStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED", "PRUNED"];
export const SWEEP_STATUSES = Object.values(SweepStatus) as readonly SweepStatus[];
export { RunStatus, SweepStatus };
