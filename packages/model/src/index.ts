export * from "./architectures";
export * from "./classes";
export * from "./metrics";
export * from "./preprocess";
export * from "./train-config";
