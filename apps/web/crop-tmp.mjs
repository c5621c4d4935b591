import sharp from "sharp";
const [,, x, y, w, h, out, scale] = process.argv;
await sharp("/tmp/sprite.png").extract({ left: +x, top: +y, width: +w, height: +h }).resize(Math.round(+w * (+scale || 1)), null, { kernel: "nearest" }).toFile(out);
