import { z } from "zod";

/** Model names go into URLs (`/api/v1/models/<name>@<alias>:predict`): lower-case letters, digits,
 * dots, dashes and underscores, starting with a letter or digit; never "@", ":" or "/". */
export const modelNameSchema = z
  .string()
  .trim()
  .min(1, "model name is required")
  .max(64, "model name is at most 64 characters")
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'model name: lower-case letters, digits, ".", "-" and "_", starting with a letter or digit');

/** Aliases start with a letter, so "@2" can never be mistaken for version 2. */
export const aliasSchema = z
  .string()
  .trim()
  .min(1, "alias is required")
  .max(32, "alias is at most 32 characters")
  .regex(/^[a-z][a-z0-9_-]*$/, 'alias: lower-case letters, digits, "-" and "_", starting with a letter (e.g. production, staging)');

export const versionNumberSchema = z.number().int("version is a whole number").min(1, "versions start at 1").max(1_000_000);

export const descriptionSchema = z.string().trim().max(500, "description is at most 500 characters").optional();
