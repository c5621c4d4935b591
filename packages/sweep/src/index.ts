// Browser-safe: the schema, the search methods and the analysis. The database side is "@fmnist/sweep/advance".
export { type AshaDecision, ashaDecision, ashaRungs } from "./asha";
export { gridParams } from "./grid";
export { type ImportanceRow, parameterImportance, ranks, spearman } from "./importance";
export { proposeParams } from "./propose";
export { randomParams, trialRandom, valueAt } from "./random";
export * from "./schema";
export { CategoricalEstimator, type Observation, ParzenEstimator, splitObservations, tpeParams } from "./tpe";
