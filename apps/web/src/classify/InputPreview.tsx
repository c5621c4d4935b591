"use client";

import { IMAGE_PIXELS } from "@fmnist/data/image";
import { useEffect, useRef } from "react";
import type { Box } from "./protocol";
import { heatCanvas, inputSquare } from "./Saliency";

const ORIGINAL_BOX = 224;

/** The picture as given (downscaled to fit) with the crop the preprocessing chose. */
export function OriginalPreview({
  bitmap,
  source,
  width,
  height,
  box,
  heat = null,
}: {
  bitmap: ImageBitmap | null;
  source: HTMLCanvasElement | null;
  width: number;
  height: number;
  box: Box;
  /** A saliency map over the 28x28 input, drawn back onto the picture where the input came from. */
  heat?: { map: Float32Array; mirrored: boolean } | null;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const image = bitmap ?? source;
    if (!canvas || !image) return;
    const s = Math.min(ORIGINAL_BOX / image.width, ORIGINAL_BOX / image.height);
    canvas.width = Math.max(1, Math.round(image.width * s));
    canvas.height = Math.max(1, Math.round(image.height * s));
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    // Small pictures (a 28x28 test image) scale up as crisp pixels, large ones down smoothly.
    ctx.imageSmoothingEnabled = s < 1;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    // Box is in the original picture's pixels.
    const k = canvas.width / width;
    if (heat) {
      const sq = inputSquare(box);
      ctx.save();
      ctx.imageSmoothingEnabled = true;
      ctx.globalAlpha = 0.85;
      ctx.drawImage(heatCanvas(heat.map, heat.mirrored), sq.x * k, sq.y * k, sq.width * k, sq.height * k);
      ctx.restore();
    }
    if (box.x === 0 && box.y === 0 && box.width === width && box.height === height) return;
    ctx.strokeStyle = "#f59e0b";
    ctx.lineWidth = 2;
    ctx.setLineDash([5, 3]);
    ctx.strokeRect(box.x * k + 1, box.y * k + 1, Math.max(2, box.width * k - 2), Math.max(2, box.height * k - 2));
  }, [bitmap, source, width, height, box, heat]);
  return <canvas ref={ref} className="preview-original" data-testid="original-preview" data-heat={heat ? "1" : "0"} title={`${width}×${height} pixels; dashed: the crop`} aria-label={`original picture, ${width} by ${height} pixels`} />;
}

/** The 28x28 input the model saw, scaled up without smoothing. */
export function ModelInputPreview({ input }: { input: Float32Array }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx) return;
    const image = ctx.createImageData(28, 28);
    for (let i = 0; i < IMAGE_PIXELS; i++) {
      const v = Math.round(Math.max(0, Math.min(1, input[i])) * 255);
      image.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(image, 0, 0);
  }, [input]);
  return <canvas ref={ref} width={28} height={28} className="preview-input" data-testid="model-input" aria-label="the 28 by 28 input the model sees" />;
}
