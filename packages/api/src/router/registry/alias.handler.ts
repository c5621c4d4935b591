import type { z } from "zod";
import { registryChanged } from "../../lib/registry-events";
import type { Context } from "../../trpc";
import type { removeAliasSchema, setAliasSchema } from "./alias.schema";
import { aliasNotFound, modelNotFound, versionNotFound } from "./errors";

/** Points an alias at a version, recording the move (from -> to) in the history. Pointing it where
 * it already points changes nothing and records nothing. */
export async function setAliasHandler(ctx: Context, input: z.output<typeof setAliasSchema>) {
  const result = await ctx.db.$transaction(async (tx) => {
    const model = await tx.registeredModel.findUnique({ where: { name: input.name }, select: { id: true, versions: { select: { id: true, version: true } } } });
    if (!model) throw modelNotFound(input.name);
    const target = model.versions.find((v) => v.version === input.version);
    if (!target) throw versionNotFound(input.name, input.version, model.versions.map((v) => v.version).sort((a, b) => a - b));
    const current = await tx.modelAlias.findUnique({
      where: { modelId_alias: { modelId: model.id, alias: input.alias } },
      select: { versionId: true, version: { select: { version: true } } },
    });
    if (current?.versionId === target.id) return { changed: false, fromVersion: input.version };
    await tx.modelAlias.upsert({
      where: { modelId_alias: { modelId: model.id, alias: input.alias } },
      create: { modelId: model.id, alias: input.alias, versionId: target.id },
      update: { versionId: target.id },
    });
    await tx.aliasEvent.create({ data: { modelId: model.id, alias: input.alias, fromVersion: current?.version.version ?? null, toVersion: input.version } });
    return { changed: true, fromVersion: current?.version.version ?? null };
  });
  if (result.changed) registryChanged({ name: input.name, kind: "alias-set" });
  return { name: input.name, alias: input.alias, version: input.version, ...result };
}

/** Removes an alias (recorded with toVersion null). */
export async function removeAliasHandler(ctx: Context, input: z.output<typeof removeAliasSchema>) {
  const fromVersion = await ctx.db.$transaction(async (tx) => {
    const model = await tx.registeredModel.findUnique({
      where: { name: input.name },
      select: { id: true, aliases: { select: { alias: true, versionId: true, version: { select: { version: true } } } } },
    });
    if (!model) throw modelNotFound(input.name);
    const alias = model.aliases.find((a) => a.alias === input.alias);
    if (!alias) throw aliasNotFound(input.name, input.alias, model.aliases.map((a) => a.alias).sort());
    await tx.modelAlias.delete({ where: { modelId_alias: { modelId: model.id, alias: input.alias } } });
    await tx.aliasEvent.create({ data: { modelId: model.id, alias: input.alias, fromVersion: alias.version.version, toVersion: null } });
    return alias.version.version;
  });
  registryChanged({ name: input.name, kind: "alias-removed" });
  return { name: input.name, alias: input.alias, removed: true as const, fromVersion };
}
