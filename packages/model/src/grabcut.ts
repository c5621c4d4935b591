// GrabCut (Rother, Kolmogorov and Blake, 2004) from OpenCV's WebAssembly build, for segmentForeground.
// OpenCV is about 10 MB of JavaScript with its WebAssembly inlined: loaded on first use only (a
// dynamic import), once per process. It runs in Node; in a browser worker it ran too, bundled by
// Turbopack with fs, path and crypto aliased to empty modules (turbopack.resolveAlias in
// next.config), which the page does not set up today. Not on by default: on the real photos it
// gains as many photos as it loses (README); `pnpm bench:photos --segment grabcut` measures it.
// Imported as @fmnist/model/grabcut, so apps that do not use it do not bundle OpenCV.
import type { GrabCut } from "./segment";

type Cv = typeof import("./opencv").opencv.cv;

let loading: Promise<GrabCut> | null = null;

/** GrabCut on a working copy, as segmentForeground calls it; loads OpenCV on the first call. */
export function loadGrabCut(): Promise<GrabCut> {
  loading ??= (async () => {
    const { opencv } = await import("./opencv");
    const cv = opencv.cv as Cv & { onRuntimeInitialized?: () => void };
    // Not `await cv`: the Emscripten module is a thenable that resolves to itself (see ./opencv).
    if (!cv.Mat) await new Promise<void>((resolve) => (cv.onRuntimeInitialized = resolve));
    return grabCutWith(cv);
  })();
  loading.catch(() => (loading = null));
  return loading;
}

function grabCutWith(cv: Cv): GrabCut {
  return (rgb, w, h, labels, iterations) => {
    const img = new cv.Mat(h, w, cv.CV_8UC3);
    const mask = new cv.Mat(h, w, cv.CV_8UC1);
    const bgdModel = new cv.Mat();
    const fgdModel = new cv.Mat();
    try {
      img.data.set(rgb);
      mask.data.set(labels);
      // GrabCut seeds its colour models with k-means from OpenCV's global random generator: the
      // same seed every call, so a photo gives the same mask on every call, server and page alike.
      cv.setRNGSeed(0x5eed);
      cv.grabCut(img, mask, new cv.Rect(0, 0, w, h), bgdModel, fgdModel, iterations, cv.GC_INIT_WITH_MASK);
      labels.set(mask.data);
    } finally {
      // WebAssembly memory is not garbage-collected.
      img.delete();
      mask.delete();
      bgdModel.delete();
      fgdModel.delete();
    }
  };
}
