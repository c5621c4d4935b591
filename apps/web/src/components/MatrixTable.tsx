import type { ReactNode } from "react";

interface Props {
  names: readonly string[];
  className: string;
  testId: string;
  /** One <td> for the cell of true class i, predicted class j. */
  cell: (i: number, j: number) => ReactNode;
}

/** The grid both matrices share: predicted classes across, true classes down, labelled axes. */
export function MatrixTable({ names, className, testId, cell }: Props) {
  return (
    <table className={className} data-testid={testId}>
      <thead>
        <tr>
          <th className="axis">true ↓ / predicted →</th>
          {names.map((n) => (
            <th key={n} className="col-label" scope="col">
              <div>{n}</div>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {names.map((rowName, i) => (
          <tr key={rowName}>
            <th scope="row" className="row-label">
              {rowName}
            </th>
            {names.map((_, j) => cell(i, j))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
