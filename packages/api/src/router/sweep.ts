import type { TRPCRouterRecord } from "@trpc/server";
import { adminProcedure, publicProcedure } from "../trpc";
import { sweepByIdHandler } from "./sweep/byId.handler";
import { cancelSweepHandler } from "./sweep/cancel.handler";
import { createSweepHandler } from "./sweep/create.handler";
import { createSweepSchema } from "./sweep/create.schema";
import { extendSweepHandler } from "./sweep/extend.handler";
import { extendSweepSchema } from "./sweep/extend.schema";
import { sweepByIdSchema } from "./sweep/id.schema";
import { listSweepsHandler } from "./sweep/list.handler";
import { listSweepsSchema } from "./sweep/list.schema";

export const sweepRouter = {
  list: publicProcedure.input(listSweepsSchema).query(({ ctx, input }) => listSweepsHandler(ctx, input)),
  byId: publicProcedure.input(sweepByIdSchema).query(({ ctx, input }) => sweepByIdHandler(ctx, input)),
  // Admin-only when FMNIST_ADMIN_TOKEN is set, as for runs.
  create: adminProcedure.input(createSweepSchema).mutation(({ ctx, input }) => createSweepHandler(ctx, input)),
  extend: adminProcedure.input(extendSweepSchema).mutation(({ ctx, input }) => extendSweepHandler(ctx, input)),
  cancel: adminProcedure.input(sweepByIdSchema).mutation(({ ctx, input }) => cancelSweepHandler(ctx, input)),
} satisfies TRPCRouterRecord;
