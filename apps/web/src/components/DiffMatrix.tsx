"use client";

import { signedInt } from "~/lib/format";
import { diffColour, textOn } from "./heat";
import { MatrixTable } from "./MatrixTable";

interface Props {
  /** B - A, cell by cell. */
  diff: number[][];
  a: number[][];
  b: number[][];
  names: readonly string[];
  compact?: boolean;
}

/** A cell is better when B confuses less (off the diagonal) or hits more (on it). */
export function DiffMatrix({ diff, a, b, names }: Props) {
  let maxAbs = 0;
  for (const row of diff) for (const v of row) maxAbs = Math.max(maxAbs, Math.abs(v));
  return (
    <div className="table-wrap">
      <MatrixTable
        names={names}
        className="cm"
        testId="diff-matrix"
        cell={(i, j) => {
          const d = diff[i][j];
          const better = i === j ? d > 0 : d < 0;
          const t = maxAbs === 0 ? 0 : Math.abs(d) / maxAbs;
          const what = i === j ? `${names[i]} predicted correctly` : `${names[i]} predicted as ${names[j]}`;
          return (
            <td
              key={names[j] ?? j}
              data-testid={`diff-cell-${i}-${j}`}
              data-better={d === 0 ? undefined : String(better)}
              style={{ background: diffColour(better, t), color: textOn(d === 0 ? 0 : 0.15 + 0.75 * t), fontWeight: i === j ? 600 : 400 }}
              title={`${what}: ${a[i][j]} → ${b[i][j]}${d === 0 ? "" : ` (${signedInt(d)}, ${better ? "better" : "worse"})`}`}
            >
              {d === 0 ? "·" : signedInt(d)}
            </td>
          );
        }}
      />
      <div className="legend">
        <span className="swatch" style={{ background: diffColour(true, 0.8) }} /> better in B (fewer confusions, more hits)
        <span className="swatch" style={{ background: diffColour(false, 0.8) }} /> worse in B
        <span>· cell = B − A; diagonal = correct predictions</span>
      </div>
    </div>
  );
}
