// What the page may honestly say about a prediction: one confident word only when the model is
// sure and an item was found; otherwise that it is unsure, torn between two classes, or that no
// item stood out from the background (probably not a picture of one piece of clothing).

/** Below this top probability the page says the model is unsure. */
export const UNSURE_BELOW = 0.5;
/** A runner-up closer than this to the top class is a near tie. */
export const TIE_WITHIN = 0.15;

export type Verdict =
  | { kind: "confident"; top: number; p: number }
  | { kind: "tie"; top: number; second: number; p: number; q: number }
  | { kind: "unsure"; top: number; p: number }
  | { kind: "no-item"; top: number; p: number };

export function verdictOf(probabilities: ArrayLike<number>, coverage: number): Verdict {
  let top = 0;
  for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[top]) top = c;
  let second = top === 0 ? 1 : 0;
  for (let c = 0; c < probabilities.length; c++) if (c !== top && probabilities[c] > probabilities[second]) second = c;
  const p = probabilities[top];
  const q = probabilities[second] ?? 0;
  if (coverage === 0) return { kind: "no-item", top, p };
  if (p - q < TIE_WITHIN) return { kind: "tie", top, second, p, q };
  if (p < UNSURE_BELOW) return { kind: "unsure", top, p };
  return { kind: "confident", top, p };
}
