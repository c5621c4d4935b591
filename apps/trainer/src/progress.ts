import type { TrainConfig } from "@fmnist/model";
import cliProgress from "cli-progress";

export interface Progress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  imagesPerSec: number;
  etaSeconds: number;
  loss: number;
  accuracy: number;
}

export interface EpochSummary {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  learningRate: number;
  durationMs: number;
  imagesPerSec: number;
}

export interface ProgressReporter {
  runStarted(runId: string, config: TrainConfig): void;
  log(message: string): void;
  epochStarted(epoch: number, epochs: number, batches: number): void;
  batch(p: Progress): void;
  epochEnded(e: EpochSummary, improved: boolean): void;
  /** `weights` says which weights were evaluated: "the weights of epoch 36", "the mean of the weights of epochs 29-40". */
  finished(r: { runId: string; testAccuracy: number; testLoss: number; weights: string; modelDir: string }): void;
}

export const silentReporter: ProgressReporter = {
  runStarted() {},
  log() {},
  epochStarted() {},
  batch() {},
  epochEnded() {},
  finished() {},
};

const fmtEta = (s: number) => {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.round(s)}s`;
};

/** Terminal output: a progress bar per epoch on a TTY, one line per epoch otherwise (CI logs). */
export function terminalReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const tty = Boolean(stream.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  const line = (s: string) => stream.write(`${s}\n`);
  return {
    runStarted(runId, c) {
      line(
        `run ${runId}: ${c.name} | ${c.architecture}, ${c.epochs} epochs, batch ${c.batchSize}, ${c.optimizer} lr ${c.learningRate} (${c.lrSchedule})` +
          `${c.weightDecay > 0 ? `, weight decay ${c.weightDecay}` : ""}${c.labelSmoothing > 0 ? `, label smoothing ${c.labelSmoothing}` : ""}` +
          `${c.augmentCropPadding > 0 || c.augmentFlip || c.augmentErasing > 0 || c.augmentPhoto > 0 || c.augmentBackground > 0 || c.augmentAffine > 0 || c.augmentPair > 0 ? `, augment crop ${c.augmentCropPadding}px flip ${c.augmentFlip} erasing ${c.augmentErasing} photo ${c.augmentPhoto} background ${c.augmentBackground} affine ${c.augmentAffine} pair ${c.augmentPair}` : ""}, ` +
          `validation ${Math.round(c.validationSplit * 100)}%, patience ${c.patience} (val_loss), keep ${c.averageLastEpochs > 0 ? `the mean of the last ${c.averageLastEpochs} epochs` : `best ${c.checkpointMetric}`}, dropout ${c.dropout}, seed ${c.seed}`,
      );
    },
    log: line,
    epochStarted(epoch, epochs, batches) {
      if (!tty) return;
      bar = new cliProgress.SingleBar(
        {
          format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} | {ips} img/s | loss {loss} | acc {acc} | ETA {eta_run}`,
          stream,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(batches, 0, { ips: "-", loss: "-", acc: "-", eta_run: "?" });
    },
    batch(p) {
      bar?.update(p.batch, {
        ips: Math.round(p.imagesPerSec),
        loss: p.loss.toFixed(4),
        acc: p.accuracy.toFixed(4),
        eta_run: fmtEta(p.etaSeconds),
      });
    },
    epochEnded(e, improved) {
      bar?.stop();
      bar = undefined;
      line(
        `epoch ${e.epoch}: loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(4)} | val_loss ${e.valLoss.toFixed(4)} ` +
          `val_acc ${e.valAccuracy.toFixed(4)} | ${(e.durationMs / 1000).toFixed(1)} s, ${Math.round(e.imagesPerSec)} img/s${improved ? " | kept (best so far)" : ""}`,
      );
    },
    finished(r) {
      line(`test accuracy ${(r.testAccuracy * 100).toFixed(2)}% (loss ${r.testLoss.toFixed(4)}) with ${r.weights}`);
      line(`model exported to ${r.modelDir}/model.json`);
    },
  };
}
