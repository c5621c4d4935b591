"use client";

import { argmax } from "@fmnist/model/metrics";

/** The ten class probabilities as horizontal bars, the predicted class highlighted and the true
 * class (when known) marked. With `onSelect`, a click on a bar picks that class (for its heat map). */
export function ProbabilityBars({
  probabilities,
  names,
  trueLabel,
  selected = null,
  onSelect,
}: {
  probabilities: number[];
  names: readonly string[];
  trueLabel: number | null;
  selected?: number | null;
  onSelect?: (classIndex: number) => void;
}) {
  const top = argmax(probabilities);
  return (
    <ol className={`probs${onSelect ? " selectable" : ""}`} data-testid="probabilities">
      {probabilities.map((p, i) => (
        <li
          key={names[i] ?? i}
          data-testid={`prob-${i}`}
          data-value={p}
          className={`${i === top ? "top" : ""}${i === trueLabel ? " truth" : ""}${i === selected ? " selected" : ""}`}
          data-selected={i === selected}
        >
          {onSelect ? (
            <button type="button" className="name" data-testid={`explain-${i}`} aria-pressed={i === selected} title={`show what speaks for ${names[i]}`} onClick={() => onSelect(i)}>
              {names[i]}
              {i === trueLabel && <span className="truth-mark" title="true class"> ✓ true</span>}
            </button>
          ) : (
            <span className="name">
              {names[i]}
              {i === trueLabel && <span className="truth-mark" title="true class"> ✓ true</span>}
            </span>
          )}
          <span className="track">
            <span className="fill" style={{ width: `${Math.max(0, Math.min(1, p)) * 100}%` }} />
          </span>
          <span className="val">{(p * 100).toFixed(p >= 0.001 || p === 0 ? 1 : 3)}%</span>
        </li>
      ))}
    </ol>
  );
}
