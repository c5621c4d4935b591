// Input schemas and their constants, browser-safe (no database client): the web uses them for
// its controls and forms.

export * from "../limits";
export * from "../router/compare/compare.schema";
export * from "../router/hardExamples/list.schema";
export * from "../router/registry/alias.schema";
export * from "../router/registry/names.schema";
export * from "../router/registry/register.schema";
export * from "../router/registry/version.schema";
export * from "../router/run/byId.schema";
export * from "../router/run/cancel.schema";
export * from "../router/run/create.schema";
export * from "../router/run/delete.schema";
export * from "../router/run/id.schema";
export * from "../router/run/list.schema";
export * from "../router/run/misclassified.schema";
export * from "../router/run/retry.schema";
export * from "../router/run/tags.schema";
