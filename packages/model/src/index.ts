export * from "./architectures";
export * from "./augment";
export * from "./classes";
export * from "./metrics";
export * from "./preprocess";
export * from "./recipes";
export * from "./schedules";
export * from "./train-config";
