"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { Segmented } from "~/components/Segmented";

type Ink = "light" | "dark";
const INK_OPTIONS = [
  { value: "light", label: "White on black" },
  { value: "dark", label: "Black on white" },
] as const;
const SIZE = 280;

/** Draw a garment with the mouse, a pen or a finger; each finished stroke is classified. Either
 * colour scheme works: the preprocessing inverts light backgrounds. */
export function DrawingPad({ onDrawn, disabled }: { onDrawn: (pixels: ImageData, canvas: HTMLCanvasElement) => void; disabled: boolean }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const last = useRef<{ x: number; y: number } | null>(null);
  const [ink, setInk] = useState<Ink>("light");
  const [empty, setEmpty] = useState(true);

  const clear = useCallback(() => {
    const ctx = ref.current?.getContext("2d", { willReadFrequently: true });
    if (!ctx) return;
    ctx.fillStyle = ink === "light" ? "#000" : "#fff";
    ctx.fillRect(0, 0, SIZE, SIZE);
    setEmpty(true);
  }, [ink]);

  useEffect(clear, [clear]);

  const at = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * SIZE, y: ((e.clientY - r.top) / r.height) * SIZE };
  };

  const stroke = (to: { x: number; y: number }) => {
    const ctx = ref.current?.getContext("2d", { willReadFrequently: true });
    if (!ctx) return;
    const from = last.current ?? to;
    ctx.strokeStyle = ink === "light" ? "#fff" : "#000";
    ctx.lineWidth = 18;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    last.current = to;
  };

  const finish = () => {
    if (!last.current) return;
    last.current = null;
    setEmpty(false);
    const canvas = ref.current;
    const ctx = canvas?.getContext("2d", { willReadFrequently: true });
    if (canvas && ctx && !disabled) onDrawn(ctx.getImageData(0, 0, SIZE, SIZE), canvas);
  };

  return (
    <div className="drawing">
      <canvas
        ref={ref}
        width={SIZE}
        height={SIZE}
        className="pad"
        data-testid="drawing-pad"
        aria-label="drawing pad: draw a garment, it is classified when you lift the pen"
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          last.current = null;
          stroke(at(e));
        }}
        onPointerMove={(e) => {
          if (last.current) stroke(at(e));
        }}
        onPointerUp={finish}
        onPointerCancel={finish}
      />
      <div className="row">
        <Segmented label="Ink" value={ink} options={INK_OPTIONS} onChange={setInk} />
        <button type="button" className="btn" onClick={clear} disabled={empty} data-testid="clear-drawing">
          Clear
        </button>
      </div>
    </div>
  );
}
