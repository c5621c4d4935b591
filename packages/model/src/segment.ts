// Foreground of a real photo, for preprocessPhoto: which pixels are the item, in pure array code
// (browser, Node, tests). Works on a small copy of the picture (long side WORK_SIDE), so a 1024-px
// photo costs a few milliseconds:
// 1. background model from the border band: a Coons patch interpolating the four border strips
//    (handles gradients and vignetting) and k-means colours of the band (handles textured or
//    two-tone backgrounds); a pixel's distance is to the nearer of the two;
// 2. threshold from the band's own spread, so a textured background raises it;
// 3. morphological opening (drops thin lines: frames, floor edges, text), closing, connected
//    components; the main object is the large component nearest the centre, with large
//    neighbours kept (the other shoe of a pair), holes filled;
// 4. with a GrabCut given (loadGrabCut: OpenCV's WebAssembly build), that mask refined by GrabCut
//    and its main object taken again (grabCutRefine);
// 5. shadows: pixels of the background's hue, darker than it, are left out of the box.
// With an object map given (a salient-object network's probabilities, ./salient), that map is the
// raw mask of step 2 instead of the threshold, and steps 3 and 5 apply to it as to the threshold's.

export const WORK_SIDE = 192;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Foreground {
  /** Size of the working copy. */
  w: number;
  h: number;
  /** Working-copy pixels / source pixels. */
  scale: number;
  /** 1 = item, working copy, row-major. */
  mask: Uint8Array;
  /** The item's convex hull (item pixels and what lies between them). */
  region: Uint8Array;
  /** Item box in the working copy (shadows and thin lines left out). */
  box: Box;
  /** Mean background luminance 0..255 (from the border band). */
  backgroundLuma: number;
  /** Background luminance at every pixel of the working copy (the Coons patch). */
  backgroundLumaMap: Float32Array;
  /** Fraction of the picture the item covers; 0 when nothing stood out (box = whole picture). */
  coverage: number;
}

interface Work {
  w: number;
  h: number;
  rgb: Float32Array; // 3 per pixel
}

/** Area-averaged small copy, transparency over white (product cut-outs are on white). */
function shrink(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number, side: number): Work {
  const s = Math.min(1, side / Math.max(width, height));
  const w = Math.max(1, Math.round(width * s));
  const h = Math.max(1, Math.round(height * s));
  const rgb = new Float32Array(w * h * 3);
  const count = new Float32Array(w * h);
  for (let y = 0; y < height; y++) {
    const ty = Math.min(h - 1, Math.floor((y * h) / height));
    for (let x = 0; x < width; x++) {
      const tx = Math.min(w - 1, Math.floor((x * w) / width));
      const i = (y * width + x) * 4;
      const a = rgba[i + 3] / 255;
      const t = ty * w + tx;
      rgb[t * 3] += rgba[i] * a + 255 * (1 - a);
      rgb[t * 3 + 1] += rgba[i + 1] * a + 255 * (1 - a);
      rgb[t * 3 + 2] += rgba[i + 2] * a + 255 * (1 - a);
      count[t]++;
    }
  }
  for (let t = 0; t < w * h; t++) for (let c = 0; c < 3; c++) rgb[t * 3 + c] /= Math.max(1, count[t]);
  return { w, h, rgb };
}

/** 3x3 box blur: photo noise and fine texture out of the distance map. */
function blur({ w, h, rgb }: Work): Work {
  const out = new Float32Array(rgb.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let n = 0;
      const acc = [0, 0, 0];
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
          const j = (yy * w + xx) * 3;
          acc[0] += rgb[j];
          acc[1] += rgb[j + 1];
          acc[2] += rgb[j + 2];
          n++;
        }
      const i = (y * w + x) * 3;
      out[i] = acc[0] / n;
      out[i + 1] = acc[1] / n;
      out[i + 2] = acc[2] / n;
    }
  return { w, h, rgb: out };
}

const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

/** Mean background colour along each border strip's columns (top, bottom) or rows (left, right),
 * smoothed. Only pixels `isBg` counts: where the item touches the border, its colour is no
 * background; those positions take the nearest background colour along the strip. */
function strip(work: Work, band: number, side: "top" | "bottom" | "left" | "right", isBg: Uint8Array): Float32Array {
  const { w, h, rgb } = work;
  const len = side === "top" || side === "bottom" ? w : h;
  const out = new Float32Array(len * 3);
  const count = new Float32Array(len);
  for (let k = 0; k < len; k++) {
    for (let b = 0; b < band; b++) {
      const x = side === "top" || side === "bottom" ? k : side === "left" ? b : w - 1 - b;
      const y = side === "left" || side === "right" ? k : side === "top" ? b : h - 1 - b;
      const i = y * w + x;
      if (!isBg[i]) continue;
      for (let c = 0; c < 3; c++) out[k * 3 + c] += rgb[i * 3 + c];
      count[k]++;
    }
  }
  const known = [...count.keys()].filter((k) => count[k] > 0);
  for (let k = 0; k < len; k++) {
    if (count[k] > 0) {
      for (let c = 0; c < 3; c++) out[k * 3 + c] /= count[k];
    }
  }
  for (let k = 0; k < len; k++) {
    if (count[k] > 0) continue;
    if (known.length === 0) {
      out.fill(255, k * 3, k * 3 + 3);
      continue;
    }
    const j = known.reduce((a, b) => (Math.abs(b - k) < Math.abs(a - k) ? b : a));
    for (let c = 0; c < 3; c++) out[k * 3 + c] = out[j * 3 + c];
  }
  // Smoothing along the strip: a box of 1/8 of its length.
  const r = Math.max(1, Math.round(len / 16));
  const sm = new Float32Array(len * 3);
  for (let k = 0; k < len; k++) {
    const lo = Math.max(0, k - r);
    const hi = Math.min(len - 1, k + r);
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let j = lo; j <= hi; j++) sum += out[j * 3 + c];
      sm[k * 3 + c] = sum / (hi - lo + 1);
    }
  }
  return sm;
}

/** Background colour at every pixel by Coons-patch interpolation of the four border strips. */
function coons(work: Work, band: number, isBg: Uint8Array): Float32Array {
  const { w, h } = work;
  const T = strip(work, band, "top", isBg);
  const B = strip(work, band, "bottom", isBg);
  const L = strip(work, band, "left", isBg);
  const R = strip(work, band, "right", isBg);
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const v = h > 1 ? y / (h - 1) : 0;
    for (let x = 0; x < w; x++) {
      const u = w > 1 ? x / (w - 1) : 0;
      for (let c = 0; c < 3; c++) {
        const corners = (1 - u) * (1 - v) * T[c] + u * (1 - v) * T[(w - 1) * 3 + c] + (1 - u) * v * B[c] + u * v * B[(w - 1) * 3 + c];
        const val = (1 - v) * T[x * 3 + c] + v * B[x * 3 + c] + (1 - u) * L[y * 3 + c] + u * R[y * 3 + c] - corners;
        out[(y * w + x) * 3 + c] = val;
      }
    }
  }
  return out;
}

/** Indices of the border band's pixels. */
function bandPixels(w: number, h: number, band: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) if (x < band || y < band || x >= w - band || y >= h - band) out.push(y * w + x);
  return out;
}

/** k-means (k colours) of the band, deterministic start: spread along the band's luminance order. */
function kmeans(rgb: Float32Array, idx: number[], k: number): number[][] {
  const sorted = [...idx].sort((a, b) => luma(rgb[a * 3], rgb[a * 3 + 1], rgb[a * 3 + 2]) - luma(rgb[b * 3], rgb[b * 3 + 1], rgb[b * 3 + 2]));
  let centres = Array.from({ length: k }, (_, j) => {
    const i = sorted[Math.floor(((j + 0.5) * sorted.length) / k)];
    return [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]];
  });
  for (let it = 0; it < 8; it++) {
    const sums = centres.map(() => [0, 0, 0, 0]);
    for (const i of idx) {
      const best = nearest(rgb, i, centres);
      for (let c = 0; c < 3; c++) sums[best][c] += rgb[i * 3 + c];
      sums[best][3]++;
    }
    // A colour of a few stray band pixels (the item touching the border) is no background.
    centres = sums.filter((s) => s[3] >= idx.length * 0.08).map((s) => [s[0] / s[3], s[1] / s[3], s[2] / s[3]]);
    if (centres.length === 0) centres = [[255, 255, 255]];
  }
  return centres;
}

function nearest(rgb: Float32Array, i: number, centres: number[][]): number {
  let best = 0;
  let bestD = Infinity;
  for (let j = 0; j < centres.length; j++) {
    const d = (rgb[i * 3] - centres[j][0]) ** 2 + (rgb[i * 3 + 1] - centres[j][1]) ** 2 + (rgb[i * 3 + 2] - centres[j][2]) ** 2;
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  return best;
}

/** The band's colours that surround the picture: a cluster holding at least 10% of the band on
 * three of its four sides. An item touching one or two edges puts its own colour in the band, but
 * not all around; with no such cluster, the largest one. */
function backgroundColours(rgb: Float32Array, w: number, h: number, band: number, border: number[], centres: number[][]): number[][] {
  const perSide = centres.map(() => [0, 0, 0, 0]);
  const sideSize = [0, 0, 0, 0];
  const total = centres.map(() => 0);
  for (const i of border) {
    const x = i % w;
    const y = (i - x) / w;
    const j = nearest(rgb, i, centres);
    total[j]++;
    const sides = [y < band, y >= h - band, x < band, x >= w - band];
    sides.forEach((on, k) => {
      if (!on) return;
      sideSize[k]++;
      perSide[j][k]++;
    });
  }
  const kept = centres.filter((_, j) => perSide[j].filter((n, k) => n >= 0.1 * sideSize[k]).length >= 3);
  if (kept.length > 0) return kept;
  return [centres[total.indexOf(Math.max(...total))]];
}

function quantile(values: Float32Array | number[], q: number): number {
  const s = Float32Array.from(values).sort();
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))] : 0;
}

/** Binary erosion / dilation with a (2r+1) square, separable. */
function morph(mask: Uint8Array, w: number, h: number, r: number, dilate: boolean): Uint8Array {
  const pass = (src: Uint8Array, horizontal: boolean) => {
    const out = new Uint8Array(src.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let v = dilate ? 0 : 1;
        for (let d = -r; d <= r; d++) {
          const xx = horizontal ? x + d : x;
          const yy = horizontal ? y : y + d;
          // Outside the picture counts as background for dilation and as item for erosion, so
          // an item cut by the frame keeps its edge.
          const s = xx < 0 || yy < 0 || xx >= w || yy >= h ? (dilate ? 0 : 1) : src[yy * w + xx];
          if (dilate ? s === 1 : s === 0) {
            v = dilate ? 1 : 0;
            break;
          }
        }
        out[y * w + x] = v;
      }
    return out;
  };
  return pass(pass(mask, true), false);
}

interface Component {
  label: number;
  area: number;
  box: Box;
  cx: number;
  cy: number;
}

/** 8-connected components of a mask: labels (0 = none) and each component's area and box. */
export function connectedComponents(mask: Uint8Array, w: number, h: number): { labels: Int32Array; components: Component[] } {
  const labels = new Int32Array(w * h);
  const components: Component[] = [];
  const stack = new Int32Array(w * h);
  for (let start = 0; start < w * h; start++) {
    if (!mask[start] || labels[start]) continue;
    const label = components.length + 1;
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    let area = 0;
    let minX = w;
    let minY = h;
    let maxX = 0;
    let maxY = 0;
    let sx = 0;
    let sy = 0;
    while (top > 0) {
      const p = stack[--top];
      const x = p % w;
      const y = (p - x) / w;
      area++;
      sx += x;
      sy += y;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const q = yy * w + xx;
          if (mask[q] && !labels[q]) {
            labels[q] = label;
            stack[top++] = q;
          }
        }
    }
    components.push({ label, area, box: { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 }, cx: sx / area, cy: sy / area });
  }
  return { labels, components };
}

/** Holes (background regions not connected to the picture's edge) become item. */
function fillHoles(mask: Uint8Array, w: number, h: number): Uint8Array {
  const outside = new Uint8Array(w * h);
  const stack: number[] = [];
  for (let x = 0; x < w; x++) stack.push(x, (h - 1) * w + x);
  for (let y = 0; y < h; y++) stack.push(y * w, y * w + w - 1);
  while (stack.length) {
    const p = stack.pop() as number;
    if (outside[p] || mask[p]) continue;
    outside[p] = 1;
    const x = p % w;
    const y = (p - x) / w;
    if (x > 0) stack.push(p - 1);
    if (x < w - 1) stack.push(p + 1);
    if (y > 0) stack.push(p - w);
    if (y < h - 1) stack.push(p + w);
  }
  const out = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) out[i] = outside[i] ? 0 : 1;
  return out;
}

function boxOf(mask: Uint8Array, w: number, h: number): Box | null {
  let minX = w;
  let minY = h;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (mask[y * w + x]) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
  return maxX < 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/** Trims box edges whose row / column holds almost no item: leftovers of shadows and lines. */
function trim(mask: Uint8Array, w: number, box: Box, fraction: number): Box {
  let { x, y, width, height } = box;
  const rowCount = (yy: number) => {
    let n = 0;
    for (let xx = x; xx < x + width; xx++) n += mask[yy * w + xx];
    return n;
  };
  const colCount = (xx: number) => {
    let n = 0;
    for (let yy = y; yy < y + height; yy++) n += mask[yy * w + xx];
    return n;
  };
  while (height > 2 && rowCount(y) < fraction * width) {
    y++;
    height--;
  }
  while (height > 2 && rowCount(y + height - 1) < fraction * width) height--;
  while (width > 2 && colCount(x) < fraction * height) {
    x++;
    width--;
  }
  while (width > 2 && colCount(x + width - 1) < fraction * height) width--;
  return { x, y, width, height };
}

/** Skin (the classic YCbCr box of Chai and Ngan, 1999) leaves the mask when it is a minor part
 * of it: the face, arms and legs of someone wearing the garment. A mask mostly of skin colour is
 * a tan or brown item (a leather bag, a sandal), and stays. */
function dropSkin(mask: Uint8Array, rgb: Float32Array): void {
  const skin: number[] = [];
  let area = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    area++;
    const [r, g, b] = [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]];
    const cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
    const cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
    if (cb >= 77 && cb <= 127 && cr >= 138 && cr <= 173 && r > 60) skin.push(i);
  }
  if (skin.length < 0.35 * area) for (const i of skin) mask[i] = 0;
}

/** The main object of a raw mask: opening (thin lines go), closing, the large component nearest
 * the centre with its large neighbours (the other shoe of a pair), thin parts that touch it
 * (straps, handles) back, holes filled. Null when no component is large enough. */
function mainObject(mask: Uint8Array, w: number, h: number, r: number): Uint8Array | null {
  const opened = morph(morph(mask, w, h, r, false), w, h, r, true);
  const closed = morph(morph(opened, w, h, r, true), w, h, r, false);
  const { labels, components } = connectedComponents(closed, w, h);
  const minArea = 0.004 * w * h;
  const big = components.filter((c) => c.area >= minArea);
  if (big.length === 0) return null;
  // The main object: large and central.
  const diag = Math.hypot(w, h);
  const score = (c: Component) => c.area * (1 - Math.hypot(c.cx - w / 2, c.cy - h / 2) / diag) ** 2;
  const main = big.reduce((a, b) => (score(b) > score(a) ? b : a));
  const near = (c: Component) => {
    const m = main.box;
    const gx = Math.max(0, Math.max(m.x, c.box.x) - Math.min(m.x + m.width, c.box.x + c.box.width));
    const gy = Math.max(0, Math.max(m.y, c.box.y) - Math.min(m.y + m.height, c.box.y + c.box.height));
    return gx <= 0.15 * Math.max(m.width, m.height) && gy <= 0.15 * Math.max(m.width, m.height);
  };
  const keep = new Set(big.filter((c) => c === main || (c.area >= 0.25 * main.area && near(c))).map((c) => c.label));
  const kept = new Uint8Array(w * h);
  // Thin parts of the item the opening removed (straps, handles) come back where they touch it.
  const grown = morph(Uint8Array.from(labels, (l) => (keep.has(l) ? 1 : 0)), w, h, r + 1, true);
  for (let i = 0; i < w * h; i++) kept[i] = grown[i] && (mask[i] || (labels[i] && keep.has(labels[i]))) ? 1 : 0;
  return fillHoles(kept, w, h);
}

/** GrabCut, as OpenCV's cv.grabCut with GC_INIT_WITH_MASK: the working copy's RGB (3 bytes a
 * pixel) and one label a pixel (0 background, 1 item, 2 probably background, 3 probably item),
 * which it updates in place. Injected (loadGrabCut in ./grabcut loads OpenCV's WebAssembly build)
 * so that segmentation stays synchronous and runs without it. */
export type GrabCut = (rgb: Uint8Array, w: number, h: number, labels: Uint8Array, iterations: number) => void;

export const GC_BGD = 0;
export const GC_FGD = 1;
export const GC_PR_BGD = 2;
export const GC_PR_FGD = 3;

/** Whether a mask's box leaves out the picture's centre. */
function missesCentre(mask: Uint8Array, w: number, h: number): boolean {
  const box = boxOf(mask, w, h);
  return !box || box.x > w / 2 || box.x + box.width < w / 2 || box.y > h / 2 || box.y + box.height < h / 2;
}

/** A per-pixel probability of belonging to the main object, on a grid stretched over the picture
 * (any size: it is resampled to the working copy). */
export interface ObjectMap {
  data: Float32Array;
  w: number;
  h: number;
}

/** The map's probabilities sampled at the working copy's pixels (nearest), thresholded at 0.5. */
function maskFromMap(map: ObjectMap, w: number, h: number): Uint8Array {
  if (map.data.length !== map.w * map.h) throw new Error(`object map of ${map.data.length} values is not ${map.w}x${map.h}`);
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const my = Math.min(map.h - 1, Math.floor(((y + 0.5) * map.h) / h));
    for (let x = 0; x < w; x++) {
      const mx = Math.min(map.w - 1, Math.floor(((x + 0.5) * map.w) / w));
      mask[y * w + x] = map.data[my * map.w + mx] > 0.5 ? 1 : 0;
    }
  }
  return mask;
}

/** The border-model mask refined by GrabCut's colour models and graph cut: the border band's
 * background pixels are background, the mask is probably item, the rest probably background.
 * When the mask's box misses the picture's centre (a belt, a head or a patch of floor chosen over
 * a garment that the border model took for background, as on worn and coloured-background
 * photos), the central part of the picture is probably item too: people centre what they
 * photograph. Returns the refined raw mask, or the input when GrabCut cannot run. */
function grabCutRefine(grabCut: GrabCut, small: Work, mask: Uint8Array, isBg: Uint8Array, iterations: number): Uint8Array {
  const { w, h } = small;
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.round(small.rgb[i]);
  const offCentre = missesCentre(mask, w, h);
  const labels = new Uint8Array(w * h);
  let fg = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const central = offCentre && x >= 0.2 * w && x < 0.8 * w && y >= 0.15 * h && y < 0.85 * h;
      labels[i] = mask[i] || central ? GC_PR_FGD : isBg[i] ? GC_BGD : GC_PR_BGD;
      if (labels[i] === GC_PR_FGD) fg++;
    }
  // OpenCV refuses a mask without both kinds of pixel.
  if (fg === 0 || fg === w * h) return mask;
  grabCut(rgb, w, h, labels, iterations);
  const out = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) out[i] = labels[i] === GC_FGD || labels[i] === GC_PR_FGD ? 1 : 0;
  return out;
}

export interface SegmentOptions {
  /** Leave skin-coloured pixels (a person wearing the item) out, unless most of the item is of
   * that colour (default true). */
  dropSkin?: boolean;
  /** Leave shadow-coloured pixels out of the box (default true). */
  dropShadows?: boolean;
  /** Opening radius that removes thin lines, as a fraction of the working side (default 0.012;
   * 0.005, one working pixel, with an object map: the network's mask has no floor edges or frame
   * lines to remove, and the wider opening cut sandal straps and laces off the item). */
  lineWidth?: number;
  /** Refines the mask with GrabCut (see loadGrabCut); without it (or false), the border model alone. */
  grabCut?: GrabCut | false;
  /** Refine every mask with GrabCut, not only one whose box misses the picture's centre (default
   * false: measured on the real photos, refining every mask trades as many photos for the worse as
   * for the better). */
  grabCutAlways?: boolean;
  /** GrabCut's iterations (default 5). */
  grabCutIterations?: number;
  /** The item's probability map from a segmentation network (loadSalientSegmenter in
   * @fmnist/model/salient-node, createSalientSegmenter in the browser): used as the raw mask
   * instead of the border model's threshold, and the item's region is its mask, not the mask's
   * convex hull (the network covers the item's body; a hull would bring back the floor between
   * a trouser's legs). GrabCut is not applied over it. */
  objectMap?: ObjectMap;
}

/** The item's mask and box in a working copy of the picture. */
export function segmentForeground(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number, options: SegmentOptions = {}): Foreground {
  const small = shrink(rgba, width, height, WORK_SIDE);
  const work = blur(small);
  const { w, h, rgb } = work;
  const scale = w / width;
  const band = Math.max(1, Math.round(0.03 * Math.min(w, h)));
  const border = bandPixels(w, h, band);
  const centres = backgroundColours(rgb, w, h, band, border, kmeans(rgb, border, 3));
  // Band pixels near a background colour (the spread of the band around it) build the patch.
  const isBg = new Uint8Array(w * h);
  for (const i of border) {
    const c = centres[nearest(rgb, i, centres)];
    isBg[i] = Math.hypot(rgb[i * 3] - c[0], rgb[i * 3 + 1] - c[1], rgb[i * 3 + 2] - c[2]) < 40 ? 1 : 0;
  }
  const bg = coons(work, band, isBg);
  const dist = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]];
    let d = Math.hypot(r - bg[i * 3], g - bg[i * 3 + 1], b - bg[i * 3 + 2]);
    for (const c of centres) d = Math.min(d, Math.hypot(r - c[0], g - c[1], b - c[2]));
    dist[i] = d;
  }
  let bgLuma = 0;
  let bgCount = 0;
  for (const i of border)
    if (isBg[i]) {
      bgLuma += luma(rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]);
      bgCount++;
    }
  bgLuma = bgCount > 0 ? bgLuma / bgCount : 255;
  const bgLumaMap = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) bgLumaMap[i] = luma(bg[i * 3], bg[i * 3 + 1], bg[i * 3 + 2]);
  // The band's own spread sets the threshold (a textured floor raises it); the item where it
  // touches the border is the band's top fifth at most.
  const threshold = Math.max(22, 1.6 * quantile(border.map((i) => dist[i]), 0.8));
  let mask: Uint8Array = new Uint8Array(w * h);
  if (options.objectMap) mask = maskFromMap(options.objectMap, w, h);
  else for (let i = 0; i < w * h; i++) mask[i] = dist[i] > threshold ? 1 : 0;

  if (options.dropSkin ?? true) dropSkin(mask, rgb);
  const r = Math.max(1, Math.round((options.lineWidth ?? (options.objectMap ? 0.005 : 0.012)) * Math.max(w, h)));
  const none: Foreground = {
    w,
    h,
    scale,
    mask: new Uint8Array(w * h).fill(1),
    region: new Uint8Array(w * h).fill(1),
    box: { x: 0, y: 0, width: w, height: h },
    backgroundLuma: bgLuma,
    backgroundLumaMap: bgLumaMap,
    coverage: 0,
  };
  const found = mainObject(mask, w, h, r);
  if (!found) return none;
  mask = found;
  if (options.grabCut && !options.objectMap && (options.grabCutAlways || missesCentre(mask, w, h))) {
    const refined = grabCutRefine(options.grabCut, small, mask, isBg, options.grabCutIterations ?? 5);
    if (options.dropSkin ?? true) dropSkin(refined, rgb);
    const again = mainObject(refined, w, h, r);
    // Seeded from the centre, the cut is kept only when it does cover it.
    if (again && (options.grabCutAlways || !missesCentre(again, w, h))) mask = again;
  }

  let core: Uint8Array = mask;
  if (options.dropShadows ?? true) {
    // Shadow: the background's own chromaticity, 35-97% of its luminance.
    core = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) {
      if (!mask[i]) continue;
      const [pr, pg, pb] = [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]];
      const [br, bgG, bb] = [bg[i * 3], bg[i * 3 + 1], bg[i * 3 + 2]];
      const ps = pr + pg + pb + 1;
      const bs = br + bgG + bb + 1;
      const chroma = Math.hypot(pr / ps - br / bs, pg / ps - bgG / bs);
      const ratio = luma(pr, pg, pb) / Math.max(1, luma(br, bgG, bb));
      const shadow = chroma < 0.02 && ratio > 0.35 && ratio < 0.97 && luma(br, bgG, bb) > 60;
      core[i] = shadow ? 0 : 1;
    }
    // Specks of item inside a shadow go; thin parts (a bag's handle) stay.
    core = morph(morph(core, w, h, 1, false), w, h, 1, true);
    const coreBox = boxOf(core, w, h);
    // Keep the shadow-free box only when it keeps most of the item (a grey item is not a shadow).
    let coreArea = 0;
    let maskArea = 0;
    for (let i = 0; i < w * h; i++) {
      coreArea += core[i];
      maskArea += mask[i];
    }
    if (!coreBox || coreArea < 0.45 * maskArea) core = mask;
  }
  const full = boxOf(core, w, h);
  if (!full) return none;
  const box = trim(core, w, full, 0.02);
  // Outside the item's box nothing is item (shadow tails, a line touching it).
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) if (x < box.x || y < box.y || x >= box.x + box.width || y >= box.y + box.height) mask[y * w + x] = 0;
  let area = 0;
  for (let i = 0; i < w * h; i++) area += mask[i];
  const region = options.objectMap ? mask.slice() : convexRegion(mask, w, h);
  return { w, h, scale, mask, region, box, backgroundLuma: bgLuma, backgroundLumaMap: bgLumaMap, coverage: area / (w * h) };
}

/** The convex hull of a mask, filled: a white garment on white shows only its edges and prints in
 * the mask, and its hull brings back the body between them. */
export function convexRegion(mask: Uint8Array, w: number, h: number): Uint8Array {
  // The extreme pixels of each row are enough for the hull (Andrew's monotone chain).
  const points: [number, number][] = [];
  for (let y = 0; y < h; y++) {
    let lo = -1;
    let hi = -1;
    for (let x = 0; x < w; x++)
      if (mask[y * w + x]) {
        if (lo < 0) lo = x;
        hi = x;
      }
    if (lo >= 0) {
      points.push([lo, y]);
      if (hi !== lo) points.push([hi, y]);
    }
  }
  const out = new Uint8Array(w * h);
  if (points.length < 3) {
    for (const [x, y] of points) out[y * w + x] = 1;
    return out;
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const p of points) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: [number, number][] = [];
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  const hull = [...lower.slice(0, -1), ...upper.slice(0, -1)];
  // Counter-clockwise hull: a pixel is inside when it is left of (or on) every edge.
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let inside = true;
      for (let k = 0; k < hull.length && inside; k++) {
        const a = hull[k];
        const b = hull[(k + 1) % hull.length];
        if (cross(a, b, [x, y]) < -0.5 * Math.hypot(b[0] - a[0], b[1] - a[1])) inside = false;
      }
      out[y * w + x] = inside ? 1 : 0;
    }
  return out;
}
