import { z } from "zod";
import { aliasSchema, modelNameSchema, versionNumberSchema } from "./names.schema";

export const modelByNameSchema = z.object({ name: modelNameSchema });
export const deleteVersionSchema = z.object({ name: modelNameSchema, version: versionNumberSchema });
/** One version, by number or through an alias (exactly one of the two). */
export const resolveSchema = z
  .object({ name: modelNameSchema, version: versionNumberSchema.optional(), alias: aliasSchema.optional() })
  .refine((v) => (v.version === undefined) !== (v.alias === undefined), { message: "give either a version or an alias" });
