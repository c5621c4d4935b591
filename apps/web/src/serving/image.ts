// A photo on the server, turned into the model's input by the same code as the classify page:
// sniff the format and size from the header (refuse what is not a picture or too large), decode
// with sharp (libvips: libspng for PNG, libjpeg-turbo's decoder for JPEG, as Chromium uses), apply
// the EXIF orientation as createImageBitmap does, scale the long side down to 1024 as the page does,
// then (with a segmenter) IS-Net's object map and preprocessPhoto from @fmnist/model.
import { IMAGE_SIZE, type PhotoPreprocessOptions, preprocessPhoto } from "@fmnist/model";
import type { SalientSegmenter } from "@fmnist/model/salient";
import { loadSalientSegmenter } from "@fmnist/model/salient-node";
import sharp, { type OutputInfo } from "sharp";
import type { Segmentation } from "~/classify/protocol";
import { type ImageFormat, sniffImage } from "~/classify/sniff";
import { ServeError } from "./errors";
import { MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from "./limits";

const DECODED: ImageFormat[] = ["png", "jpeg", "webp", "gif"];

export interface PreparedPhoto {
  input: Float32Array;
  inverted: boolean;
  /** Whether the input was mirrored (a shoe turned heel-right) and how much of the picture the item
   * covers (0: nothing stood out), from preprocessPhoto. */
  mirrored: boolean;
  coverage: number;
  /** The object's box in the photo's own pixels. */
  box: { x: number; y: number; width: number; height: number };
  /** How the item was found: the border model, or IS-Net's mask. */
  segmentation: "border" | "isnet";
  width: number;
  height: number;
  format: ImageFormat;
  downscaled: boolean;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

interface DecodedPhoto {
  rgba: Uint8Array;
  /** The decoded (maybe downscaled) size, and the picture's own size. */
  decodedWidth: number;
  decodedHeight: number;
  width: number;
  height: number;
  format: ImageFormat;
}

async function decodePhoto(bytes: Uint8Array, what: string): Promise<DecodedPhoto> {
  if (bytes.length === 0) throw new ServeError(400, `${what} is empty`);
  if (bytes.length > MAX_IMAGE_BYTES) throw new ServeError(413, `${what} is ${mb(bytes.length)}; the limit is ${mb(MAX_IMAGE_BYTES)}`);
  const sniffed = sniffImage(bytes.subarray(0, 256 * 1024));
  if (!sniffed.format) throw new ServeError(415, `${what} is not a PNG, JPEG, WebP or GIF picture`);
  if (!DECODED.includes(sniffed.format)) throw new ServeError(415, `${what} is ${sniffed.format.toUpperCase()}; send PNG, JPEG, WebP or GIF`);
  if (sniffed.width !== null && sniffed.height !== null) {
    if (sniffed.width === 0 || sniffed.height === 0) throw new ServeError(400, `${what} has a zero-sized picture`);
    if (sniffed.width * sniffed.height > MAX_IMAGE_PIXELS) {
      throw new ServeError(413, `${what} is ${sniffed.width}x${sniffed.height} pixels, more than the ${MAX_IMAGE_PIXELS / 1e6} megapixels the server decodes`);
    }
  }
  let data: Buffer;
  let info: OutputInfo;
  let width: number;
  let height: number;
  try {
    // autoOrient: EXIF orientation applied, as createImageBitmap's default imageOrientation does.
    const image = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: "error", pages: 1 }).autoOrient();
    const meta = await image.metadata();
    const oriented = (meta.orientation ?? 1) >= 5;
    width = (oriented ? meta.height : meta.width) ?? 0;
    height = (oriented ? meta.width : meta.height) ?? 0;
    const s = Math.min(1, MAX_IMAGE_SIDE / Math.max(width, height));
    let pipeline = image;
    if (s < 1) pipeline = pipeline.resize(Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s)), { fit: "fill", kernel: "lanczos3" });
    ({ data, info } = await pipeline.toColourspace("srgb").ensureAlpha().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true }));
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    if (/pixel limit/i.test(why)) throw new ServeError(413, `${what} has more than the ${MAX_IMAGE_PIXELS / 1e6} megapixels the server decodes`);
    throw new ServeError(400, `${what} could not be decoded: it starts like a ${sniffed.format.toUpperCase()} file, but its data is corrupt or truncated (${why})`);
  }
  return { rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), decodedWidth: info.width, decodedHeight: info.height, width, height, format: sniffed.format };
}

async function preprocessDecoded(photo: DecodedPhoto, options?: PhotoPreprocessOptions, segmenter?: SalientSegmenter): Promise<PreparedPhoto> {
  const { rgba, decodedWidth, decodedHeight, width, height, format } = photo;
  const objectMap = segmenter ? await segmenter.map(rgba, decodedWidth, decodedHeight) : undefined;
  const pre = preprocessPhoto(rgba, decodedWidth, decodedHeight, { ...options, objectMap });
  const scale = width / decodedWidth;
  const box = {
    x: Math.round(pre.box.x * scale),
    y: Math.round(pre.box.y * scale),
    width: Math.round(pre.box.width * scale),
    height: Math.round(pre.box.height * scale),
  };
  return { input: pre.input, inverted: pre.inverted, mirrored: pre.mirrored, coverage: pre.coverage, box, segmentation: segmenter ? "isnet" : "border", width, height, format, downscaled: decodedWidth !== width };
}

/** One photo as the model's input, its item found by the border model. */
export async function preparePhoto(bytes: Uint8Array, what = "the image", options?: PhotoPreprocessOptions): Promise<PreparedPhoto> {
  return preprocessDecoded(await decodePhoto(bytes, what), options);
}

export interface PhotoViews {
  views: PreparedPhoto[];
  /** Why IS-Net could not be used: the border model's view alone was classified. */
  note: string | null;
}

/** The views of a photo a segmentation asks for, decoded once: one, or for "both" the border
 * model's and IS-Net's, whose predictions are averaged (see Segmentation). When IS-Net cannot be
 * loaded, the border model's view answers and `note` says why, as on the classify page.
 * `loadSegmenter` is IS-Net's loader (a parameter so that tests can make it fail). */
export async function photoViews(
  bytes: Uint8Array,
  what: string,
  segmentation: Segmentation,
  options?: PhotoPreprocessOptions,
  loadSegmenter: () => Promise<SalientSegmenter> = loadSalientSegmenter,
): Promise<PhotoViews> {
  const photo = await decodePhoto(bytes, what);
  // A 28x28 picture is taken as a Fashion-MNIST image as it is (preprocessPhoto): nothing to find,
  // as in the page's worker.
  const isnet = segmentation !== "border" && !(photo.decodedWidth === IMAGE_SIZE && photo.decodedHeight === IMAGE_SIZE);
  let segmenter: SalientSegmenter | null = null;
  let note: string | null = null;
  if (isnet) {
    try {
      segmenter = await loadSegmenter();
    } catch (e) {
      // The border model's view still gives an answer, as on the classify page.
      note = `IS-Net could not be loaded (${e instanceof Error ? e.message.split("\n")[0] : String(e)}); the border model's view alone was classified`;
    }
  }
  const views: PreparedPhoto[] = [];
  if (segmentation !== "isnet" || !segmenter) views.push(await preprocessDecoded(photo, options));
  if (segmenter) views.push(await preprocessDecoded(photo, options, segmenter));
  return { views, note };
}
