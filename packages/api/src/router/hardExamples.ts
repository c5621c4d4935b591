import type { TRPCRouterRecord } from "@trpc/server";
import { publicProcedure } from "../trpc";
import { hardExamplesHandler } from "./hardExamples/list.handler";
import { hardExamplesSchema } from "./hardExamples/list.schema";

export const hardExamplesRouter = {
  list: publicProcedure.input(hardExamplesSchema).query(({ ctx, input }) => hardExamplesHandler(ctx, input)),
} satisfies TRPCRouterRecord;
