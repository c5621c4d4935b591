import { createCaller, createTRPCContext } from "@fmnist/api";
import { errorResponse } from "~/serving/errors";

export const dynamic = "force-dynamic";

/** GET /api/v1/models: every registered model, its versions and aliases. */
export async function GET() {
  try {
    const models = await createCaller(createTRPCContext()).registry.list();
    return Response.json({
      models: models.map((m) => ({
        name: m.name,
        aliases: Object.fromEntries(m.aliases.map((a) => [a.alias, a.version])),
        versions: m.versions.map((v) => ({ version: v.version, aliases: v.aliases, testAccuracy: v.testAccuracy, sizeBytes: v.sizeBytes, sourceRun: { id: v.run.id, name: v.run.name }, createdAt: v.createdAt })),
      })),
    });
  } catch (e) {
    return errorResponse(e);
  }
}
