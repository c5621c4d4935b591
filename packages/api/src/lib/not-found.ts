import { TRPCError } from "@trpc/server";

export function runNotFound(id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `No run with id "${id}"` });
}
