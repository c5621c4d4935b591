import type { TRPCRouterRecord } from "@trpc/server";
import { publicProcedure } from "../trpc";
import { compareHandler } from "./compare/compare.handler";
import { compareSchema } from "./compare/compare.schema";

export const compareRouter = {
  compare: publicProcedure.input(compareSchema).query(({ ctx, input }) => compareHandler(ctx, input)),
} satisfies TRPCRouterRecord;
