"use client";

import { IMAGE_PIXELS } from "@fmnist/data/image";
import { useEffect, useRef } from "react";
import type { Box } from "./protocol";

/** Saliency 0..1 -> RGBA: transparent where nothing mattered, through red to yellow where most did. */
export function heatRgba(v: number): [number, number, number, number] {
  const t = Math.max(0, Math.min(1, v));
  return [255, Math.round(40 + 215 * t * t), Math.round(60 * (1 - t)), Math.round(255 * Math.min(0.8, 1.4 * t))];
}

/** The 28x28 map as an RGBA canvas (mirrored back when the input was mirrored). */
export function heatCanvas(map: Float32Array, mirrored: boolean): HTMLCanvasElement {
  const c = document.createElement("canvas");
  c.width = 28;
  c.height = 28;
  const ctx = c.getContext("2d");
  if (!ctx) return c;
  const image = ctx.createImageData(28, 28);
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) image.data.set(heatRgba(map[y * 28 + (mirrored ? 27 - x : x)]), (y * 28 + x) * 4);
  ctx.putImageData(image, 0, 0);
  return c;
}

/** Where the 28x28 input lies on the original picture: the square, centred on the box, whose
 * side is the box's long side (preprocessPhoto's framing). */
export function inputSquare(box: Box): Box {
  const side = Math.max(box.width, box.height);
  return { x: box.x - (side - box.width) / 2, y: box.y - (side - box.height) / 2, width: side, height: side };
}

/** The 28x28 input in grey with the heat map over it, scaled up without smoothing. */
export function SaliencyInput({ input, map, classIndex }: { input: Float32Array; map: Float32Array | null; classIndex: number | null }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext("2d");
    if (!ctx) return;
    const image = ctx.createImageData(28, 28);
    for (let i = 0; i < IMAGE_PIXELS; i++) {
      const g = Math.round(Math.max(0, Math.min(1, input[i])) * 160);
      const [r, gr, b, a] = map ? heatRgba(map[i]) : [0, 0, 0, 0];
      const k = a / 255;
      image.data.set([Math.round(g * (1 - k) + r * k), Math.round(g * (1 - k) + gr * k), Math.round(g * (1 - k) + b * k), 255], i * 4);
    }
    ctx.putImageData(image, 0, 0);
  }, [input, map]);
  return (
    <canvas
      ref={ref}
      width={28}
      height={28}
      className="preview-input"
      data-testid="saliency-input"
      data-class={classIndex ?? ""}
      data-sum={map ? map.reduce((a, b) => a + b, 0).toFixed(3) : ""}
      aria-label="heat map over the 28 by 28 input: the pixels that drove the prediction"
    />
  );
}
