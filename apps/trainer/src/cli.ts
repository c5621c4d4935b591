#!/usr/bin/env -S npx tsx
import { readFileSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { createDb } from "@fmnist/db/client";
import { databaseUrl, defaultLeaseMs } from "@fmnist/db/config";
import { migrate } from "@fmnist/db/migrate";
import { KerasImportError, LIMITS } from "@fmnist/keras-import";
import {
  ARCHITECTURE_NAMES,
  BACKEND_PREFERENCES,
  CHECKPOINT_METRICS,
  LR_SCHEDULES,
  OPTIMIZERS,
  RECIPE_NAMES,
  RECIPES,
  type RecipeName,
  trainConfigSchema,
} from "@fmnist/model";
import { Command, InvalidArgumentError, Option } from "commander";
import { importModelRun } from "./import-run";
import { terminalReporter } from "./progress";
import { addSweepCommand } from "./sweep-cli";
import { train } from "./train";
import { defaultWorkerId, runWorker } from "./worker";

const number = (name: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}"`);
  return n;
};

const defaults = trainConfigSchema.parse({ name: "x" });
const program = new Command("fmnist-train").description("Train, track and export Fashion-MNIST classifiers");

program
  .command("train")
  .description("train one run from the command line and record it in the database")
  .addOption(new Option("-a, --architecture <name>", "model architecture").choices(ARCHITECTURE_NAMES).default(defaults.architecture))
  .option("-e, --epochs <n>", "maximum epochs", number("epochs"), defaults.epochs)
  .option("-b, --batch-size <n>", "batch size", number("batch size"), defaults.batchSize)
  .option("--lr, --learning-rate <x>", "learning rate (the peak, for one-cycle)", number("learning rate"), defaults.learningRate)
  .option("--validation-split <x>", "fraction of the training set held out", number("validation split"), defaults.validationSplit)
  .option("--patience <n>", "early stopping patience in epochs (0 = off)", number("patience"), defaults.patience)
  .option("--dropout <x>", "dropout rate", number("dropout"), defaults.dropout)
  .addOption(
    new Option("--checkpoint-metric <metric>", "validation metric that picks the kept checkpoint")
      .choices(CHECKPOINT_METRICS)
      .default(defaults.checkpointMetric),
  )
  .option("--average-last-epochs <n>", "weight averaging (SWA): export the mean of the last N epochs' weights (0 = off)", number("epochs to average"), defaults.averageLastEpochs)
  .addOption(new Option("--optimizer <name>", "adam, adamw (decoupled weight decay) or sgd (Nesterov momentum)").choices(OPTIMIZERS).default(defaults.optimizer))
  .option("--weight-decay <x>", "decoupled weight decay (adamw, sgd)", number("weight decay"), defaults.weightDecay)
  .option("--momentum <x>", "sgd's Nesterov momentum", number("momentum"), defaults.momentum)
  .addOption(new Option("--lr-schedule <name>", "learning-rate schedule").choices(LR_SCHEDULES).default(defaults.lrSchedule))
  .option("--warmup-epochs <x>", "cosine: epochs of linear warm-up", number("warm-up epochs"), defaults.warmupEpochs)
  .option("--step-epochs <n>", "step: epochs between rate drops", number("step epochs"), defaults.stepEpochs)
  .option("--step-gamma <x>", "step: factor of each drop", number("step gamma"), defaults.stepGamma)
  .option("--label-smoothing <x>", "label smoothing (0 = off)", number("label smoothing"), defaults.labelSmoothing)
  .option("--augment-crop-padding <px>", "augmentation: random crop with this much padding (0 = off)", number("crop padding"), defaults.augmentCropPadding)
  .option("--augment-flip", "augmentation: random horizontal flip", defaults.augmentFlip)
  .option("--augment-erasing <p>", "augmentation: random erasing probability (0 = off)", number("erasing"), defaults.augmentErasing)
  .option("--augment-photo <p>", "augmentation: real-photo look (scale, contrast, left-overs) probability (0 = off)", number("photo augmentation"), defaults.augmentPhoto)
  .option("--augment-background <p>", "augmentation: the item on a textured background (a failed segmentation) probability (0 = off)", number("background augmentation"), defaults.augmentBackground)
  .option("--augment-affine <p>", "augmentation: turned up to 15 degrees, scaled and sheared (items askew in photos) probability (0 = off)", number("affine augmentation"), defaults.augmentAffine)
  .option("--augment-pair <p>", "augmentation: a shoe shown as a pair (a second shoe behind or beside it) probability per shoe image (0 = off)", number("pair augmentation"), defaults.augmentPair)
  .addOption(new Option("--recipe <name>", "start from a named recipe; options given explicitly override it").choices(RECIPE_NAMES))
  .option("--seed <n>", "seed for weights, split and data order", number("seed"), defaults.seed)
  .option("--max-train-images <n>", "use at most this many training images (0 = all)", number("max train images"), 0)
  .addOption(new Option("--backend <name>", "tfjs backend").choices(BACKEND_PREFERENCES).default(process.env.TRAINER_BACKEND || "auto"))
  .option("-n, --name <name>", "run name (default: architecture and time)")
  .option("--data-dir <dir>", "directory with the four IDX files (default: FASHION_MNIST_DIR, Debian package, cache, download)")
  .option("--artifacts-dir <dir>", "where models are exported (default: ARTIFACTS_DIR or ./data/artifacts)")
  .action(async (o, cmd: Command) => {
    // A recipe fills what the command line leaves at its default; explicit options win.
    const recipe: Record<string, unknown> = o.recipe ? RECIPES[o.recipe as RecipeName].config : {};
    const fields = [
      "architecture", "epochs", "batchSize", "learningRate", "validationSplit", "patience", "dropout", "checkpointMetric", "averageLastEpochs",
      "optimizer", "weightDecay", "momentum", "lrSchedule", "warmupEpochs", "stepEpochs", "stepGamma", "labelSmoothing",
      "augmentCropPadding", "augmentFlip", "augmentErasing", "augmentPhoto", "augmentBackground", "augmentAffine", "augmentPair", "seed", "backend", "maxTrainImages",
    ] as const;
    const given = Object.fromEntries(fields.filter((k) => cmd.getOptionValueSource(k) === "cli" || !(k in recipe)).map((k) => [k, o[k]]));
    const input = { ...recipe, ...given };
    const parsed = trainConfigSchema.safeParse({
      name: o.name ?? `${input.architecture ?? defaults.architecture} ${new Date().toISOString().slice(0, 16).replace("T", " ")}`,
      ...input,
    });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) console.error(`error: --${String(issue.path[0])}: ${issue.message}`);
      process.exit(2);
    }
    await migrate(databaseUrl());
    const db = createDb();
    let stopRequested = false;
    process.on("SIGINT", () => {
      if (stopRequested) process.exit(130);
      stopRequested = true;
      console.error("\nstopping after this batch (Ctrl-C again to quit at once)");
    });
    try {
      const result = await train({
        db,
        config: parsed.data,
        dataDir: o.dataDir,
        artifactsDir: o.artifactsDir,
        reporter: terminalReporter(),
        shouldStop: () => stopRequested,
        lease: { workerId: `cli ${defaultWorkerId()}`, ms: defaultLeaseMs() },
      });
      // The run id alone on stdout, so scripts can capture it.
      console.log(result.runId);
    } catch (e) {
      console.error(`error: ${(e as Error).message}`);
      process.exitCode = 1;
    } finally {
      await db.$disconnect();
    }
  });

program
  .command("worker")
  .description("take runs queued from the dashboard, one at a time, until stopped (Ctrl-C / SIGTERM)")
  .option("--data-dir <dir>", "dataset directory for every run (default: as for train)")
  .option("--artifacts-dir <dir>", "where models are exported (default: ARTIFACTS_DIR or ./data/artifacts)")
  .option("--id <workerId>", "worker id shown in the dashboard (default: host:pid)")
  .option("--lease <seconds>", "lease length; a run not renewed within it is marked FAILED", number("lease"), defaultLeaseMs() / 1000)
  .option("--poll <seconds>", "how often to look for queued runs", number("poll"), 1)
  .option("--exit-when-idle", "exit when the queue is empty")
  .action(async (o) => {
    await migrate(databaseUrl());
    const db = createDb();
    const stop = new AbortController();
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.on(sig, () => {
        if (stop.signal.aborted) process.exit(130);
        console.error(`\n${sig}: finishing the current batch, putting the run back in the queue`);
        stop.abort();
      });
    }
    try {
      await runWorker(
        {
          db,
          workerId: o.id,
          leaseMs: o.lease * 1000,
          pollMs: o.poll * 1000,
          dataDir: o.dataDir,
          artifactsDir: o.artifactsDir,
          reporter: terminalReporter(),
          exitWhenIdle: Boolean(o.exitWhenIdle),
        },
        stop.signal,
      );
    } finally {
      await db.$disconnect();
    }
  });

program
  .command("import-model")
  .description("import a Keras model (.keras, or a whole-model .h5) as a run: evaluated on the test set and exported like a trained run")
  .argument("<file>", "the .keras or .h5 file")
  .option("-n, --name <name>", "run name (default: the file name and Keras version)")
  .addOption(new Option("--backend <name>", "tfjs backend for the evaluation").choices(BACKEND_PREFERENCES).default(process.env.TRAINER_BACKEND || "auto"))
  .option("--data-dir <dir>", "directory with the four IDX files (default: as for train)")
  .option("--artifacts-dir <dir>", "where models are exported (default: ARTIFACTS_DIR or ./data/artifacts)")
  .action(async (file: string, o) => {
    // `pnpm import-model` runs in the trainer's directory: resolve the path where it was typed.
    const path = resolve(process.env.INIT_CWD ?? process.cwd(), file);
    let bytes: Uint8Array;
    try {
      const size = statSync(path).size;
      if (size > LIMITS.maxFileBytes) throw new Error(`${file} is ${size} bytes (limit ${LIMITS.maxFileBytes})`);
      bytes = new Uint8Array(readFileSync(path));
    } catch (e) {
      console.error(`error: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? `no such file: ${path}` : (e as Error).message}`);
      process.exit(2);
    }
    await migrate(databaseUrl());
    const db = createDb();
    try {
      const result = await importModelRun({
        db,
        bytes,
        fileName: basename(path),
        name: o.name,
        backend: o.backend,
        dataDir: o.dataDir,
        artifactsDir: o.artifactsDir,
        log: (s) => console.error(s),
      });
      console.log(result.runId);
    } catch (e) {
      console.error(`error: ${e instanceof KerasImportError ? "refused: " : ""}${(e as Error).message}`);
      process.exitCode = 1;
    } finally {
      await db.$disconnect();
    }
  });

addSweepCommand(program);

await program.parseAsync();
