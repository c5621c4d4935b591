import type { TRPCRouterRecord } from "@trpc/server";
import { adminProcedure, publicProcedure } from "../trpc";
import { removeAliasHandler, setAliasHandler } from "./registry/alias.handler";
import { removeAliasSchema, setAliasSchema } from "./registry/alias.schema";
import { registerHandler } from "./registry/register.handler";
import { registerSchema } from "./registry/register.schema";
import { deleteVersionHandler, listModelsHandler, modelByNameHandler, resolveHandler } from "./registry/version.handler";
import { deleteVersionSchema, modelByNameSchema, resolveSchema } from "./registry/version.schema";

/** The model registry: named models, numbered versions (one run's exported model each), aliases
 * that point at one version and move, and the history of those moves. Changes need the admin token. */
export const registryRouter = {
  list: publicProcedure.query(({ ctx }) => listModelsHandler(ctx)),
  byName: publicProcedure.input(modelByNameSchema).query(({ ctx, input }) => modelByNameHandler(ctx, input)),
  resolve: publicProcedure.input(resolveSchema).query(({ ctx, input }) => resolveHandler(ctx, input)),
  register: adminProcedure.input(registerSchema).mutation(({ ctx, input }) => registerHandler(ctx, input)),
  setAlias: adminProcedure.input(setAliasSchema).mutation(({ ctx, input }) => setAliasHandler(ctx, input)),
  removeAlias: adminProcedure.input(removeAliasSchema).mutation(({ ctx, input }) => removeAliasHandler(ctx, input)),
  deleteVersion: adminProcedure.input(deleteVersionSchema).mutation(({ ctx, input }) => deleteVersionHandler(ctx, input)),
} satisfies TRPCRouterRecord;
