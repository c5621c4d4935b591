import type { ClassificationReport } from "@fmnist/model";
import { num } from "~/lib/format";

/** scikit-learn style classification report. */
export function ReportTable({ report, names }: { report: ClassificationReport; names: readonly string[] }) {
  const row = (label: string, m: { precision: number; recall: number; f1: number; support: number }, cls?: string, key?: string) => (
    <tr key={key ?? label} className={cls}>
      <td>{label}</td>
      <td className="num">{num(m.precision)}</td>
      <td className="num">{num(m.recall)}</td>
      <td className="num">{num(m.f1)}</td>
      <td className="num">{m.support}</td>
    </tr>
  );
  const worst = Math.min(...report.perClass.map((c) => c.f1));
  return (
    <table className="data" data-testid="report-table">
      <thead>
        <tr>
          <th>class</th>
          <th className="num">precision</th>
          <th className="num">recall</th>
          <th className="num">F1</th>
          <th className="num">support</th>
        </tr>
      </thead>
      <tbody>
        {report.perClass.map((c) => row(names[c.label] ?? String(c.label), c, c.f1 === worst ? "worst" : undefined, String(c.label)))}
        <tr className="total">
          <td>accuracy</td>
          <td className="num" />
          <td className="num" />
          <td className="num">{num(report.accuracy)}</td>
          <td className="num">{report.macroAvg.support}</td>
        </tr>
        {row("macro avg", report.macroAvg, "total")}
        {row("weighted avg", report.weightedAvg, "total")}
      </tbody>
    </table>
  );
}
