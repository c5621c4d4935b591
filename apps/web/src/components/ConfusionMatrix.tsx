"use client";

import { hitColour, missColour, textOn } from "./heat";
import { MatrixTable } from "./MatrixTable";

export type MatrixMode = "counts" | "normalized";

interface Props {
  matrix: number[][];
  names: readonly string[];
  mode: MatrixMode;
  /** data-testid prefix of the cells: `<prefix>-cell-<true>-<pred>`. */
  testId?: string;
  compact?: boolean;
  active?: { trueLabel: number; predLabel: number } | null;
  onCellClick?: (trueLabel: number, predLabel: number) => void;
}

/** Rows are true classes, columns predicted classes. Colour follows the row-normalised value so a
 * class with few examples reads the same as one with many. */
export function ConfusionMatrix({ matrix, names, mode, testId = "cm", compact, active, onCellClick }: Props) {
  const rowTotals = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const frac = (i: number, j: number) => (rowTotals[i] === 0 ? 0 : matrix[i][j] / rowTotals[i]);
  let maxMiss = 0;
  for (let i = 0; i < matrix.length; i++) for (let j = 0; j < matrix.length; j++) if (i !== j) maxMiss = Math.max(maxMiss, frac(i, j));

  return (
    <div className="table-wrap">
      <MatrixTable
        names={names}
        className={`cm${compact ? " compact" : ""}`}
        testId={`${testId}-matrix`}
        cell={(i, j) => {
          const count = matrix[i][j];
          const f = frac(i, j);
          const t = i === j ? f : maxMiss === 0 ? 0 : f / maxMiss;
          const bg = i === j ? hitColour(t) : missColour(t);
          const alpha = i === j ? 0.08 + 0.85 * t : t === 0 ? 0 : 0.1 + 0.8 * t;
          const text = mode === "counts" ? String(count) : f === 0 ? "0" : (f * 100).toFixed(f < 0.1 ? 1 : 0);
          const isActive = active?.trueLabel === i && active?.predLabel === j;
          const clickable = onCellClick && i !== j && count > 0;
          return (
            <td
              key={names[j] ?? j}
              data-testid={`${testId}-cell-${i}-${j}`}
              className={`${clickable ? "clickable" : ""}${isActive ? " active" : ""}`}
              style={{ background: bg, color: textOn(alpha) }}
              title={
                i === j
                  ? `${names[i]} predicted correctly: ${count} of ${rowTotals[i]} (${(f * 100).toFixed(1)}%)`
                  : `${names[i]} predicted as ${names[j]}: ${count} of ${rowTotals[i]} (${(f * 100).toFixed(1)}%)`
              }
              onClick={clickable ? () => onCellClick(i, j) : undefined}
              onKeyDown={clickable ? (e) => (e.key === "Enter" || e.key === " ") && onCellClick(i, j) : undefined}
              tabIndex={clickable ? 0 : undefined}
            >
              {text}
            </td>
          );
        }}
      />
      {!compact && (
        <div className="legend">
          <span className="swatch" style={{ background: hitColour(0.9) }} /> correct (share of the true class)
          <span className="swatch" style={{ background: missColour(0.9) }} /> confused (relative to the largest confusion)
          {mode === "normalized" && <span>· values are % of each true class (row)</span>}
          {onCellClick && <span>· click a cell to see those images</span>}
        </div>
      )}
    </div>
  );
}
