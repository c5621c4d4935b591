/** Colours of the heatmaps. Hits (diagonal) in blue, confusions in orange-red, both scaled so that
 * small confusions are still visible next to large hit counts. */
export function hitColour(t: number): string {
  const a = Math.max(0, Math.min(1, t));
  return `rgba(37, 99, 235, ${0.08 + 0.85 * a})`;
}

export function missColour(t: number): string {
  const a = Math.max(0, Math.min(1, t));
  return a === 0 ? "#f3f4f6" : `rgba(234, 88, 12, ${0.1 + 0.8 * a})`;
}

/** Diff cells: green for better, red for worse, grey for unchanged. */
export function diffColour(better: boolean, t: number): string {
  const a = Math.max(0, Math.min(1, t));
  if (a === 0) return "#f3f4f6";
  return better ? `rgba(22, 163, 74, ${0.15 + 0.75 * a})` : `rgba(220, 38, 38, ${0.15 + 0.75 * a})`;
}

export function textOn(alpha: number): string {
  return alpha > 0.55 ? "#fff" : "#1b1f24";
}
