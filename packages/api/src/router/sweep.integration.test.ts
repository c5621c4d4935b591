import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, failure, type TestDb } from "../../test/db";

const definition = {
  name: "lr search",
  method: "random",
  trialBudget: 4,
  maxConcurrent: 2,
  base: { architecture: "mlp", epochs: 3, dataset: "fixture-subset", maxTrainImages: 200 },
  space: {
    learningRate: { type: "range", min: 1e-4, max: 1e-1, scale: "log" },
    optimizer: { type: "choice", values: ["adam", "sgd"] },
  },
  earlyTermination: { type: "asha", minResource: 1, reductionFactor: 3 },
};

describe("sweeps router", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb("sqlite");
  });
  afterAll(() => t.close());

  it.each([
    ["an empty space", { ...definition, space: {} }, /space: the search space is empty/],
    ["an inverted range", { ...definition, space: { dropout: { type: "range", min: 0.6, max: 0.2 } } }, /space\.dropout\.max: dropout: the range is empty or inverted/],
    ["a log range through zero", { ...definition, space: { weightDecay: { type: "range", min: 0, max: 0.1, scale: "log" } } }, /space\.weightDecay\.min: .*above zero/],
    ["a budget over the limit", { ...definition, trialBudget: 1000 }, /trialBudget: trialBudget is at most 200/],
    ["an unknown field", { ...definition, space: { momentumm: { type: "range", min: 0.1, max: 0.9 } } }, /space\.momentumm: unknown config field/],
  ])("refuses %s with a 400 naming the field, and queues nothing", async (_what, input, message) => {
    const e = await failure(() => t.api.sweeps.create(input as never));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(message);
    expect(await t.db.sweep.count()).toBe(0);
    expect(await t.db.run.count()).toBe(0);
  });

  it("creates a sweep with its first trials queued as ordinary runs, lists it, shows it, extends and cancels it", async () => {
    const created = await t.api.sweeps.create(definition as never);
    expect(created).toMatchObject({ name: "lr search", status: "RUNNING", queued: 2 });
    const runs = await t.db.run.findMany({ where: { sweepId: created.id }, orderBy: { trialNumber: "asc" }, include: { params: true } });
    expect(runs.map((r) => [r.trialNumber, r.status])).toEqual([[0, "QUEUED"], [1, "QUEUED"]]);
    // Ordinary runs: params rows for filtering, the full config.
    expect(runs[0].params.find((p) => p.key === "learningRate")?.numValue).toBe((runs[0].config as { learningRate: number }).learningRate);

    // Trial 0 succeeded with epochs, trial 1 pruned at epoch 1.
    await t.db.run.update({ where: { id: runs[0].id }, data: { status: "SUCCEEDED", bestValAccuracy: 0.8, bestValLoss: 0.5, epochsCompleted: 3 } });
    await t.db.run.update({ where: { id: runs[1].id }, data: { status: "PRUNED", bestValAccuracy: 0.4, bestValLoss: 1.5, epochsCompleted: 1 } });
    for (const [runId, epoch, acc] of [[runs[0].id, 1, 0.7], [runs[0].id, 2, 0.8], [runs[1].id, 1, 0.4]] as const) {
      await t.db.epochMetric.create({ data: { runId, epoch, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: acc, learningRate: 0.001, durationMs: 1, imagesPerSec: 1 } });
    }

    const list = await t.api.sweeps.list();
    expect(list.items[0]).toMatchObject({ id: created.id, trials: 2, bestObjective: 0.8, byStatus: { SUCCEEDED: 1, PRUNED: 1 } });

    const page = await t.api.sweeps.byId({ id: created.id });
    expect(page.bestTrialId).toBe(runs[0].id);
    expect(page.trials[0].curve).toEqual([{ epoch: 1, value: 0.7 }, { epoch: 2, value: 0.8 }]);
    expect(page.trials[1]).toMatchObject({ status: "PRUNED", objective: 0.4 });
    expect(Object.keys(page.trials[0].params).sort()).toEqual(["learningRate", "optimizer"]);
    expect(page.importance.map((i) => i.key).sort()).toEqual(["learningRate", "optimizer"]);

    // Extend beyond the limit: refused, nothing changes.
    expect((await failure(() => t.api.sweeps.extend({ id: created.id, trials: 199 }))).message).toMatch(/at most 200 in all/);
    const extended = await t.api.sweeps.extend({ id: created.id, trials: 2 });
    expect(extended.trialBudget).toBe(6);

    // Two new trials were queued when the API advanced it (2 slots free).
    const queued = await t.db.run.findMany({ where: { sweepId: created.id, status: "QUEUED" } });
    expect(queued).toHaveLength(2);
    await t.db.run.update({ where: { id: queued[0].id }, data: { status: "RUNNING", workerId: "w", leaseExpiresAt: new Date(Date.now() + 60_000) } });
    const cancelled = await t.api.sweeps.cancel({ id: created.id });
    expect(cancelled).toMatchObject({ status: "CANCELLED", trialsCancelled: 2 });
    const after = await t.db.run.findMany({ where: { sweepId: created.id }, orderBy: { trialNumber: "asc" } });
    expect(after.map((r) => r.status)).toEqual(["SUCCEEDED", "PRUNED", "RUNNING", "CANCELLED"]);
    expect(after[2].cancelRequested).toBe(true);
    expect((await failure(() => t.api.sweeps.cancel({ id: created.id }))).code).toBe("BAD_REQUEST");
    expect((await failure(() => t.api.sweeps.extend({ id: created.id, trials: 1 }))).message).toMatch(/cancelled/);
    expect((await failure(() => t.api.sweeps.byId({ id: "nope" }))).code).toBe("NOT_FOUND");
  });
});
