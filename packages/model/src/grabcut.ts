// GrabCut (Rother, Kolmogorov and Blake, 2004) from OpenCV's WebAssembly build, for segmentForeground.
// OpenCV is about 10 MB of JavaScript with its WebAssembly inlined: it is loaded on first use only
// (a dynamic import, its own chunk in the browser), once per process or worker, and the same build
// runs in Node (the server's photo endpoint, the bench) and in the classify page's worker, so both
// see the same mask.
import type { GrabCut } from "./segment";

type Cv = typeof import("@techstark/opencv-js");

let loading: Promise<GrabCut> | null = null;

/** GrabCut on a working copy, as segmentForeground calls it; loads OpenCV on the first call. */
export function loadGrabCut(): Promise<GrabCut> {
  loading ??= (async () => {
    const mod = (await import("@techstark/opencv-js")) as unknown as { default?: Cv } & Cv;
    const cv = (mod.default ?? mod) as Cv & { onRuntimeInitialized?: () => void };
    // Not `await cv`: the Emscripten module is a thenable that resolves to itself, which never settles.
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
