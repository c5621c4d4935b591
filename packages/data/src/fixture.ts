import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A real, stratified subset of Fashion-MNIST (MIT-licensed) shipped for tests and demos:
 * 200 training and 50 test images per class, with its own subset.json checksums. */
export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "fashion-mnist-small");
