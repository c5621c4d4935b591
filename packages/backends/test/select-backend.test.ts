import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { type ModuleImporter, selectBackend } from "../src/select-backend";

/** An importer for which no optional package is installed (as on this machine). */
const nothingInstalled: ModuleImporter = async (name) => {
  const e = new Error(`Cannot find package '${name}' imported from select-backend.ts`) as Error & { code: string };
  e.code = "ERR_MODULE_NOT_FOUND";
  throw e;
};

afterEach(async () => {
  if (tf.findBackendFactory("tensorflow")) {
    await tf.setBackend("wasm");
    tf.removeBackend("tensorflow");
  }
});

describe("selectBackend", () => {
  it("auto: without tfjs-node(-gpu) it picks wasm and says why", async () => {
    const r = await selectBackend("auto", { importModule: nothingInstalled });
    expect(r.backend).toBe("wasm");
    expect(r.device).toBe("cpu");
    expect(tf.getBackend()).toBe("wasm");
    expect(r.note).toMatch(/wasm-gradients/);
    expect(r.note).toMatch(/tfjs-node-gpu not installed: pnpm --filter @fmnist\/trainer add @tensorflow\/tfjs-node-gpu@4\.22\.0/);
    expect(r.note).toMatch(/CUDA 11\.2 \+ cuDNN 8\.1/);
    expect(r.note).toMatch(/tfjs-node not installed: pnpm --filter @fmnist\/trainer add @tensorflow\/tfjs-node@4\.22\.0/);
    // The wasm backend can now train convolutions.
    const x = tf.ones([1, 5, 5, 1]) as tf.Tensor4D;
    const g = tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 1, "valid").sum())(tf.ones([3, 3, 1, 1]));
    expect(Array.from(await g.data())).toEqual(new Array(9).fill(9));
  });

  it("auto with the real importer on this machine (no tfjs-node installed) picks native where its addon built, else wasm", async () => {
    const r = await selectBackend("auto");
    if (r.backend === "tensorflow") return; // someone installed tfjs-node: nothing to check here
    const addonBuilt = existsSync(fileURLToPath(new URL("../build/Release/native_cpu.node", import.meta.url)));
    expect(r.backend).toBe(addonBuilt ? "native" : "wasm");
    expect(r.note).toMatch(/tfjs-node-gpu not installed/);
  });

  it("'tensorflow' throws a clear error saying how to install tfjs-node", async () => {
    await expect(selectBackend("tensorflow", { importModule: nothingInstalled })).rejects.toThrow(
      /backend "tensorflow" \(@tensorflow\/tfjs-node\) is not available: tfjs-node not installed: pnpm --filter @fmnist\/trainer add @tensorflow\/tfjs-node@4\.22\.0/,
    );
  });

  it("'tensorflow-gpu' throws a clear error saying how to install tfjs-node-gpu and what it needs", async () => {
    await expect(selectBackend("tensorflow-gpu", { importModule: nothingInstalled })).rejects.toThrow(
      /tfjs-node-gpu not installed: pnpm --filter @fmnist\/trainer add @tensorflow\/tfjs-node-gpu@4\.22\.0.*CUDA 11\.2/,
    );
  });

  it("an installed package whose native library fails to load is reported as such", async () => {
    const broken: ModuleImporter = async () => {
      throw new Error("libcudart.so.11.0: cannot open shared object file: No such file or directory");
    };
    const r = await selectBackend("auto", { importModule: broken });
    expect(r.backend).toBe("wasm");
    expect(r.note).toMatch(/tfjs-node-gpu is installed but failed to load \(libcudart\.so\.11\.0/);
  });

  it("tfjs-node-gpu that silently runs on the CPU (CUDA 12, tfjs#8362) is detected and said", async () => {
    // A stand-in for tfjs-node-gpu: registers a 'tensorflow' backend that sees no GPU device.
    const fakeGpuPackage: ModuleImporter = async (name) => {
      if (!name.endsWith("tfjs-node-gpu")) return nothingInstalled(name);
      tf.registerBackend("tensorflow", () => {
        const b = tf.findBackendFactory("cpu")!() as tf.KernelBackend & { isUsingGpuDevice?: boolean };
        b.isUsingGpuDevice = false;
        return b;
      });
      return {};
    };
    const r = await selectBackend("auto", { importModule: fakeGpuPackage });
    expect(r.backend).toBe("tensorflow");
    expect(r.device).toBe("cpu");
    expect(r.note).toMatch(/sees no GPU/);
    expect(r.note).toMatch(/tensorflow\/tfjs#8362/);
  });

  it("explicit 'cpu' and 'wasm' work", async () => {
    expect((await selectBackend("cpu")).backend).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect((await selectBackend("wasm")).backend).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });
});
