import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { type AppRouter, appRouter } from "./root";
import { createCallerFactory, createContextForUrl, createTRPCContext } from "./trpc";

/**
 * Server-side calls without HTTP (tests, bench, React Server Components):
 *   const api = createCaller(createTRPCContext({ db }));
 *   await api.runs.list({ limit: 10 });
 */
const createCaller = createCallerFactory(appRouter);

/** Inputs of every procedure: RouterInputs["runs"]["list"]. */
type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure: RouterOutputs["runs"]["byId"]. */
type RouterOutputs = inferRouterOutputs<AppRouter>;

export { onRegistryChange, type RegistryChange } from "./lib/registry-events";
export type { ResolvedVersion } from "./router/registry/version.handler";
export type { Context, CreateContextOptions, Dialect } from "./trpc";
export type { AppRouter, RouterInputs, RouterOutputs };
export { appRouter, createCaller, createContextForUrl, createTRPCContext };
