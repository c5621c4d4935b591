export { exportLayersModel } from "./export-model";
export { type Progress, type ProgressReporter, silentReporter, terminalReporter } from "./progress";
export { RunCancelled, type TrainOptions, type TrainResult, train } from "./train";
export { claimNextRun, failExpiredLeases, renewLease, requeue } from "./queue";
export { defaultWorkerId, runWorker, type WorkerOptions } from "./worker";
