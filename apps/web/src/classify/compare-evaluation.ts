/** How the browser's whole-test-set result compares with what the trainer recorded. */
export interface EvaluationComparison {
  equal: boolean;
  accuracyEqual: boolean;
  countEqual: boolean;
  /** Cells whose counts differ: [true, predicted, browser, recorded]. */
  differingCells: [number, number, number, number][];
}

export function compareWithRecorded(
  browser: { count: number; correct: number; matrix: number[][] },
  recorded: { testAccuracy: number; numExamples: number; confusionMatrix: number[][] | null },
): EvaluationComparison {
  // The trainer stores correct / count as a double; the same division here gives the same bits.
  const accuracyEqual = browser.count > 0 && browser.correct / browser.count === recorded.testAccuracy;
  const countEqual = browser.count === recorded.numExamples;
  const differingCells: EvaluationComparison["differingCells"] = [];
  const m = recorded.confusionMatrix;
  for (let t = 0; t < 10; t++) {
    for (let p = 0; p < 10; p++) {
      const rec = m?.[t]?.[p] ?? Number.NaN;
      if (browser.matrix[t][p] !== rec) differingCells.push([t, p, browser.matrix[t][p], rec]);
    }
  }
  return { equal: accuracyEqual && countEqual && differingCells.length === 0, accuracyEqual, countEqual, differingCells };
}
