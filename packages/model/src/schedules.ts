// Learning-rate schedules as pure functions of training progress, so the trainer, the tests and the
// dashboard's preview compute the same numbers. `epoch` is fractional (epoch 2.5 = halfway through
// the third epoch, counted from 0) so that schedules can change the rate every step.

export const LR_SCHEDULES = ["constant", "step", "cosine", "one-cycle"] as const;
export type LrScheduleName = (typeof LR_SCHEDULES)[number];

export interface LrSchedule {
  name: LrScheduleName;
  /** The base (constant, step, cosine) or peak (one-cycle) learning rate. */
  learningRate: number;
  epochs: number;
  /** cosine: linear warm-up from 0 over this many epochs. */
  warmupEpochs: number;
  /** step: multiply by stepGamma every stepEpochs epochs. */
  stepEpochs: number;
  stepGamma: number;
}

/** The learning rate at fractional epoch t in [0, epochs]. */
export function learningRateAt(s: LrSchedule, t: number): number {
  const lr = s.learningRate;
  switch (s.name) {
    case "constant":
      return lr;
    case "step":
      // Keras/PyTorch StepLR: lr * gamma^floor(epoch / stepEpochs), constant within an epoch.
      return lr * s.stepGamma ** Math.floor(Math.floor(t) / Math.max(1, s.stepEpochs));
    case "cosine": {
      // Linear warm-up, then half a cosine down to 0 (SGDR without restarts, Loshchilov & Hutter).
      if (t < s.warmupEpochs) return (lr * t) / s.warmupEpochs;
      const span = Math.max(1e-9, s.epochs - s.warmupEpochs);
      const p = Math.min(1, (t - s.warmupEpochs) / span);
      return 0.5 * lr * (1 + Math.cos(Math.PI * p));
    }
    case "one-cycle": {
      // Smith's one-cycle as in PyTorch OneCycleLR (anneal_strategy "cos", pct_start 0.3,
      // div_factor 25, final_div_factor 1e4): lr/25 -> lr over 30% of training, then down to lr/25e4.
      const p = Math.min(1, t / Math.max(1e-9, s.epochs));
      const start = lr / 25;
      const end = start / 1e4;
      const cos = (a: number, b: number, q: number) => b + ((a - b) * (1 + Math.cos(Math.PI * q))) / 2;
      return p <= 0.3 ? cos(start, lr, p / 0.3) : cos(lr, end, (p - 0.3) / 0.7);
    }
  }
}
