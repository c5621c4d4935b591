import { z } from "zod";
import { aliasSchema, modelNameSchema, versionNumberSchema } from "./names.schema";

/** Point `alias` at `version` (set, or move from the version it pointed at). */
export const setAliasSchema = z.object({ name: modelNameSchema, alias: aliasSchema, version: versionNumberSchema });
export const removeAliasSchema = z.object({ name: modelNameSchema, alias: aliasSchema });
