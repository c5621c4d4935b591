import type { Context } from "../../trpc";

/** At most this many runs in the model picker; the best ones come first, so older low scorers drop. */
export const MODELS_LIMIT = 200;

/** Runs whose tfjs model the browser can load (a tfjs-layers-model artifact), for the classify page:
 * SUCCEEDED runs by test accuracy (best first), then any other run that exported a model. */
export async function modelsHandler(ctx: Context) {
  const runs = await ctx.db.run.findMany({
    where: { artifacts: { some: { kind: "tfjs-layers-model" } } },
    // Postgres sorts NULLs first in descending order and SQLite last: say which.
    orderBy: [{ testAccuracy: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
    take: MODELS_LIMIT,
    select: {
      id: true,
      name: true,
      architecture: true,
      status: true,
      testAccuracy: true,
      createdAt: true,
      evaluation: { select: { numExamples: true } },
      artifacts: { where: { kind: "tfjs-layers-model" }, select: { path: true }, take: 1 },
    },
  });
  const succeeded = runs.filter((r) => r.status === "SUCCEEDED");
  const others = runs.filter((r) => r.status !== "SUCCEEDED");
  return [...succeeded, ...others].map(({ evaluation, artifacts, ...run }) => ({
    ...run,
    /** Size of the test set the trainer evaluated on (random test images are drawn from it). */
    numExamples: evaluation?.numExamples ?? null,
    /** The model's file name under /api/artifacts/<id>/ (model.json). */
    modelFile: artifacts[0]?.path.split("/").pop() ?? "model.json",
  }));
}

export type ModelsOutput = Awaited<ReturnType<typeof modelsHandler>>;
