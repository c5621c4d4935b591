"use client";

import { BarChart, LineChart, ParallelChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, ParallelComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { type CSSProperties, useEffect, useRef } from "react";

// Only the pieces the studio draws, so the page does not ship all of ECharts.
echarts.use([BarChart, LineChart, ParallelChart, ScatterChart, GridComponent, LegendComponent, ParallelComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export type EChartsOption = echarts.EChartsCoreOption;
export type EChartsInstance = echarts.ECharts;

interface Props {
  option: EChartsOption;
  style?: CSSProperties;
  testId?: string;
  /** Called once with the instance (events: `chart.on("click", ...)`). */
  onInit?: (chart: EChartsInstance) => void;
}

/** A thin React wrapper: one ECharts instance per element, options merged on change, resized
 * with its container, disposed on unmount. */
export function EChart({ option, style, testId, onInit }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<EChartsInstance | null>(null);
  const initRef = useRef(onInit);
  initRef.current = onInit;

  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current);
    chart.current = c;
    initRef.current?.(c);
    const observer = new ResizeObserver(() => c.resize());
    observer.observe(el.current);
    return () => {
      observer.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={el} data-testid={testId} style={{ width: "100%", height: 280, ...style }} />;
}
