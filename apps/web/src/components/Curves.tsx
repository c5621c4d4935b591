"use client";

import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface Series {
  key: string;
  name: string;
  color: string;
  dashed?: boolean;
}

interface Props {
  title: string;
  data: Record<string, number | null>[];
  series: Series[];
  /** Accuracy axes read as percentages. */
  percent?: boolean;
  /** Marks the kept (best) epoch. */
  bestEpoch?: number | null;
  testId?: string;
  /** Last epoch of the x axis while a run trains (its planned epochs), so the curves grow into it. */
  xMax?: number;
  /** Tick and tooltip format (default: percentages or three decimals). */
  format?: (v: number) => string;
}

export function Curves({ title, data, series, percent, bestEpoch, testId, xMax, format }: Props) {
  const fmt = format ?? ((v: number) => (percent ? `${(v * 100).toFixed(1)}%` : v.toFixed(3)));
  const dots = data.length <= 25;
  return (
    <div data-testid={testId} data-points={data.length}>
      <h3>{title}</h3>
      {data.length === 0 ? (
        <p className="muted">No epochs recorded yet.</p>
      ) : (
        <ResponsiveContainer width="100%" height={260}>
          <LineChart data={data} margin={{ top: 18, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            <XAxis dataKey="epoch" type="number" domain={["dataMin", xMax ?? "dataMax"]} allowDecimals={false} tickCount={Math.min(xMax ?? data.length, 10)} label={{ value: "epoch", position: "insideBottomRight", offset: -2, fontSize: 11 }} />
            <YAxis width={56} tickFormatter={fmt} domain={percent ? ["auto", "auto"] : [0, "auto"]} fontSize={11} />
            <Tooltip formatter={(v) => (typeof v === "number" ? fmt(v) : String(v))} labelFormatter={(l) => `epoch ${l}`} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {bestEpoch != null && <ReferenceLine x={bestEpoch} stroke="#94a3b8" strokeDasharray="4 3" label={{ value: "kept", fontSize: 10, fill: "#64748b", position: "top" }} />}
            {series.map((s) => (
              <Line
                key={s.key}
                type="monotone"
                dataKey={s.key}
                name={s.name}
                stroke={s.color}
                strokeWidth={2}
                strokeDasharray={s.dashed ? "5 4" : undefined}
                dot={dots ? { r: 3 } : false}
                connectNulls
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}
