import h5wasm, { type Dataset, type Group } from "h5wasm";
import { fail, LIMITS } from "./errors";

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

export interface StoredWeight {
  path: string;
  shape: number[];
  values: Float32Array;
}

let counter = 0;

/** An HDF5 file opened read-only from memory (h5wasm: the HDF5 C library in WebAssembly, the same
 * code in Node and browsers). The bytes live in h5wasm's in-memory file system, never on disk. */
export class Hdf5Reader {
  private constructor(
    private readonly file: InstanceType<typeof h5wasm.File>,
    private readonly unlink: () => void,
  ) {}

  static async open(bytes: Uint8Array, what: string): Promise<Hdf5Reader> {
    if (!isHdf5(bytes)) fail(`${what} is not an HDF5 file (no HDF5 signature)`);
    const Module = await h5wasm.ready;
    const fsName = `/keras-import-${processId()}-${++counter}.h5`;
    Module.FS.writeFile(fsName, bytes);
    const unlink = () => {
      try {
        Module.FS.unlink(fsName);
      } catch {}
    };
    let file: InstanceType<typeof h5wasm.File>;
    try {
      file = new h5wasm.File(fsName, "r");
    } catch (e) {
      unlink();
      fail(`${what} is a truncated or corrupt HDF5 file (${short(e)})`);
    }
    // h5wasm reports some open failures as a file id of 0 rather than an exception.
    if (!file.file_id || file.file_id < 0n) {
      unlink();
      fail(`${what} is a truncated or corrupt HDF5 file`);
    }
    return new Hdf5Reader(file, unlink);
  }

  close(): void {
    try {
      this.file.close();
    } catch {}
    this.unlink();
  }

  group(path: string): Group | undefined {
    const g = this.safeGet(path);
    return g instanceof h5wasm.Group ? g : undefined;
  }

  keys(path: string): string[] {
    return this.group(path)?.keys() ?? [];
  }

  /** A string attribute (fixed or variable length), or a list of them. */
  attr(path: string, name: string): string | string[] | undefined {
    const obj = path === "/" ? this.file : this.safeGet(path);
    if (!(obj instanceof h5wasm.Group) && !(obj instanceof h5wasm.Dataset)) return undefined;
    const a = (obj as Group).attrs[name];
    if (!a) return undefined;
    let v: unknown;
    try {
      v = a.value;
    } catch (e) {
      fail(`the HDF5 attribute ${path}@${name} cannot be read (${short(e)})`);
    }
    const str = (x: unknown) => (x instanceof Uint8Array ? new TextDecoder().decode(x).replace(/\0+$/, "") : String(x));
    if (Array.isArray(v)) return v.map(str);
    if (ArrayBuffer.isView(v) && !(v instanceof Uint8Array)) return Array.from(v as unknown as ArrayLike<unknown>, str);
    return str(v);
  }

  /** Reads one float32 weight, checking its type and size before the data is copied out. */
  weight(path: string, remainingParams: number): StoredWeight {
    const d = this.safeGet(path);
    if (!(d instanceof h5wasm.Dataset)) fail(`the weight ${path} is missing from the file`);
    const ds = d as Dataset;
    const shape = ds.shape ?? [];
    const count = shape.reduce((a, b) => a * b, 1);
    if (shape.some((s) => !Number.isSafeInteger(s) || s < 0 || s > LIMITS.maxParams)) fail(`the weight ${path} has an absurd shape [${shape.join(", ")}]`);
    if (count > remainingParams) fail(`the weight ${path} has ${count} values, more than the ${LIMITS.maxParams}-parameter limit allows`);
    const meta = ds.metadata;
    if (meta.type !== 1 /* H5T_FLOAT */) fail(`the weight ${path} is not a floating-point array (dtype ${String(ds.dtype)})`);
    let value: unknown;
    try {
      value = ds.value;
    } catch (e) {
      fail(`the weight ${path} cannot be read: the file is truncated or corrupt (${short(e)})`);
    }
    const values = value instanceof Float32Array ? value : value instanceof Float64Array ? Float32Array.from(value) : undefined;
    if (!values) fail(`the weight ${path} is not a float32 or float64 array (dtype ${String(ds.dtype)})`);
    if (values.length !== count) fail(`the weight ${path} holds ${values.length} values for shape [${shape.join(", ")}]: the file is truncated or corrupt`);
    return { path, shape, values };
  }

  private safeGet(path: string): unknown {
    try {
      return this.file.get(path);
    } catch (e) {
      fail(`the HDF5 object ${path} cannot be read: the file is truncated or corrupt (${short(e)})`);
    }
  }
}

function processId(): string {
  return Math.random().toString(36).slice(2, 8);
}

function short(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0].slice(0, 200);
}
