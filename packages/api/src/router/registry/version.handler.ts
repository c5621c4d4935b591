import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { registryChanged } from "../../lib/registry-events";
import type { Context } from "../../trpc";
import { aliasNotFound, modelNotFound, versionNotFound } from "./errors";
import type { deleteVersionSchema, modelByNameSchema, resolveSchema } from "./version.schema";

const HISTORY_LIMIT = 100;

const versionSelect = {
  id: true,
  version: true,
  testAccuracy: true,
  sizeBytes: true,
  description: true,
  createdAt: true,
  run: { select: { id: true, name: true, architecture: true, status: true } },
  aliases: { select: { alias: true }, orderBy: { alias: "asc" } },
} as const;

/** registry.list: every model with its versions (newest first) and aliases. */
export async function listModelsHandler(ctx: Context) {
  const models = await ctx.db.registeredModel.findMany({
    orderBy: { name: "asc" },
    take: 200,
    select: {
      id: true,
      name: true,
      description: true,
      createdAt: true,
      updatedAt: true,
      versions: { orderBy: { version: "desc" }, select: versionSelect },
      aliases: { orderBy: { alias: "asc" }, select: { alias: true, updatedAt: true, version: { select: { version: true } } } },
    },
  });
  return models.map(({ versions, aliases, ...m }) => ({
    ...m,
    versions: versions.map(({ aliases: a, ...v }) => ({ ...v, aliases: a.map((x) => x.alias) })),
    aliases: aliases.map((a) => ({ alias: a.alias, version: a.version.version, updatedAt: a.updatedAt })),
  }));
}

/** registry.byName: one model, its versions and aliases, and the latest alias moves. */
export async function modelByNameHandler(ctx: Context, input: z.output<typeof modelByNameSchema>) {
  const model = await ctx.db.registeredModel.findUnique({
    where: { name: input.name },
    select: {
      id: true,
      name: true,
      description: true,
      createdAt: true,
      versions: { orderBy: { version: "desc" }, select: versionSelect },
      aliases: { orderBy: { alias: "asc" }, select: { alias: true, updatedAt: true, version: { select: { version: true } } } },
      aliasEvents: { orderBy: { createdAt: "desc" }, take: HISTORY_LIMIT, select: { id: true, alias: true, fromVersion: true, toVersion: true, createdAt: true } },
    },
  });
  if (!model) throw modelNotFound(input.name);
  const { versions, aliases, aliasEvents, ...rest } = model;
  return {
    ...rest,
    versions: versions.map(({ aliases: a, ...v }) => ({ ...v, aliases: a.map((x) => x.alias) })),
    aliases: aliases.map((a) => ({ alias: a.alias, version: a.version.version, updatedAt: a.updatedAt })),
    history: aliasEvents,
  };
}

/** registry.deleteVersion: refused while an alias points at the version (move or remove it first). */
export async function deleteVersionHandler(ctx: Context, input: z.output<typeof deleteVersionSchema>) {
  await ctx.db.$transaction(async (tx) => {
    const model = await tx.registeredModel.findUnique({ where: { name: input.name }, select: { id: true, versions: { select: { id: true, version: true } } } });
    if (!model) throw modelNotFound(input.name);
    const target = model.versions.find((v) => v.version === input.version);
    if (!target) throw versionNotFound(input.name, input.version, model.versions.map((v) => v.version).sort((a, b) => a - b));
    const aliases = await tx.modelAlias.findMany({ where: { versionId: target.id }, select: { alias: true }, orderBy: { alias: "asc" } });
    if (aliases.length) {
      const names = aliases.map((a) => `@${a.alias}`).join(", ");
      throw new TRPCError({
        code: "CONFLICT",
        message: `Version ${input.version} of "${input.name}" is what ${names} point${aliases.length === 1 ? "s" : ""} at; move or remove ${aliases.length === 1 ? "that alias" : "those aliases"} first`,
      });
    }
    await tx.modelVersion.delete({ where: { id: target.id } });
  });
  registryChanged({ name: input.name, kind: "version-deleted" });
  return { name: input.name, version: input.version, deleted: true as const };
}

/** registry.resolve: what a server needs to load one version, by number or alias. */
export async function resolveHandler(ctx: Context, input: z.output<typeof resolveSchema>) {
  const model = await ctx.db.registeredModel.findUnique({
    where: { name: input.name },
    select: { id: true, aliases: { select: { alias: true, version: { select: { version: true } } } }, versions: { select: { version: true } } },
  });
  if (!model) throw modelNotFound(input.name);
  let number = input.version;
  if (input.alias !== undefined) {
    const alias = model.aliases.find((a) => a.alias === input.alias);
    if (!alias) throw aliasNotFound(input.name, input.alias, model.aliases.map((a) => a.alias).sort());
    number = alias.version.version;
  }
  const version = await ctx.db.modelVersion.findUnique({
    where: { modelId_version: { modelId: model.id, version: number ?? 0 } },
    select: {
      ...versionSelect,
      run: { select: { id: true, name: true, architecture: true, status: true, artifacts: { where: { kind: "tfjs-layers-model" }, select: { path: true }, take: 1 } } },
    },
  });
  if (!version) throw versionNotFound(input.name, number ?? 0, model.versions.map((v) => v.version).sort((a, b) => a - b));
  const { run, aliases, ...v } = version;
  const { artifacts, ...source } = run;
  return {
    name: input.name,
    ...v,
    aliases: aliases.map((a) => a.alias),
    alias: input.alias ?? null,
    sourceRun: source,
    /** model.json, relative to ARTIFACTS_DIR. */
    modelPath: artifacts[0]?.path ?? null,
  };
}

export type ResolvedVersion = Awaited<ReturnType<typeof resolveHandler>>;
