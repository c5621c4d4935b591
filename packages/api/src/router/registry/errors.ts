import { TRPCError } from "@trpc/server";

export function modelNotFound(name: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `No registered model named "${name}"` });
}

export function versionNotFound(name: string, version: number, existing: number[]): TRPCError {
  const have = existing.length ? `its versions are ${existing.join(", ")}` : "it has no versions";
  return new TRPCError({ code: "NOT_FOUND", message: `Model "${name}" has no version ${version} (${have})` });
}

export function aliasNotFound(name: string, alias: string, existing: string[]): TRPCError {
  const have = existing.length ? `its aliases are ${existing.map((a) => `@${a}`).join(", ")}` : "it has no aliases";
  return new TRPCError({ code: "NOT_FOUND", message: `Model "${name}" has no alias @${alias} (${have})` });
}

/** Prisma's unique-constraint violation (two registrations took the same number at once). */
export function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: string })?.code === "P2002";
}
