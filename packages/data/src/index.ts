export * from "./download";
export * from "./files";
export * from "./fixture";
export * from "./idx";
export * from "./image";
export * from "./load";
export * from "./locate";
export * from "./split";
