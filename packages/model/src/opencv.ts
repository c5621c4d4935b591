// OpenCV's WebAssembly build behind a plain object. The Emscripten module is a thenable that
// resolves to itself: a dynamic import() that hands it out directly (as the CommonJS interop of
// Vite and of bundlers does) never settles. Imported statically here and wrapped, it is safe to
// load this file with import().
import * as namespace from "@techstark/opencv-js";

type Cv = typeof namespace;

export const opencv: { cv: Cv } = { cv: ((namespace as unknown as { default?: Cv }).default ?? namespace) as Cv };
