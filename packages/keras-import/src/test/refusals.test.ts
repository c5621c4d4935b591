import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { strToU8, unzipSync, zipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import { importKerasModel, KerasImportError } from "../index";
import { haveFixtures, KERAS_MODELS_DIR } from "./ground-truth";

const fixture = (name: string) => new Uint8Array(readFileSync(join(KERAS_MODELS_DIR, name)));

type Json = Record<string, any>;

/** The 241,546-parameter `.keras` file with its config.json edited (the weights untouched). */
function editedKeras(edit: (config: Json) => void, extra: Record<string, Uint8Array> = {}): Uint8Array {
  const files = unzipSync(fixture("k3-cnn241546.keras"));
  const config = JSON.parse(new TextDecoder().decode(files["config.json"]));
  edit(config);
  return zipSync({ ...extra, "metadata.json": files["metadata.json"], "config.json": strToU8(JSON.stringify(config)), "model.weights.h5": files["model.weights.h5"] }, { level: 0 });
}

async function refusal(bytes: Uint8Array, name = "model.keras"): Promise<string> {
  const before = tf.memory().numTensors;
  const error = await importKerasModel(bytes, name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KerasImportError);
  // A refused file leaves nothing allocated behind.
  expect(tf.memory().numTensors).toBe(before);
  return (error as Error).message;
}

describe.skipIf(!haveFixtures)("files the importer refuses, each with a message that says why", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("a truncated .h5 (the first half of a real Keras 2 file)", async () => {
    const whole = fixture("k2-cnn.h5");
    expect(await refusal(whole.subarray(0, whole.length >> 1), "k2-cnn.h5")).toMatch(/k2-cnn\.h5 is a truncated or corrupt HDF5 file/);
  });

  it("a truncated .keras zip (its last 100 kB cut off)", async () => {
    const whole = fixture("k3-cnn-bn.keras");
    expect(await refusal(whole.subarray(0, whole.length - 100_000))).toMatch(/not a readable \.keras archive/);
  });

  it("a .keras whose weights file is cut short inside the zip", async () => {
    const files = unzipSync(fixture("k3-cnn241546.keras"));
    const weights = files["model.weights.h5"];
    const bytes = zipSync({ ...files, "model.weights.h5": weights.subarray(0, weights.length - 4096) }, { level: 0 });
    expect(await refusal(bytes)).toMatch(/model\.weights\.h5 is a truncated or corrupt HDF5 file|truncated or corrupt/);
  });

  it("a zip with ../ entries (zip slip)", async () => {
    const bytes = editedKeras(() => {}, { "../../etc/cron.d/evil": strToU8("* * * * * root rm -rf /\n") });
    expect(await refusal(bytes)).toMatch(/entry "\.\.\/\.\.\/etc\/cron\.d\/evil" has a path that escapes the archive/);
  });

  it("a zip with an absolute path entry", async () => {
    expect(await refusal(editedKeras(() => {}, { "/tmp/evil": strToU8("x") }))).toMatch(/entry "\/tmp\/evil" has a path that escapes/);
  });

  it("a zip that is not a Keras archive", async () => {
    expect(await refusal(zipSync({ "readme.txt": strToU8("hello") }))).toMatch(/not a Keras \.keras archive: it has no config\.json/);
  });

  it("a config with an unknown layer names the layer and its class", async () => {
    const bytes = editedKeras((c) => {
      c.config.layers[8].class_name = "MyAttention";
    });
    expect(await refusal(bytes)).toMatch(/layer dropout: the Keras layer class MyAttention is not supported \(supported: InputLayer, Conv2D/);
  });

  it("an unsupported option names the layer and the option", async () => {
    const bytes = editedKeras((c) => {
      c.config.layers[1].config.groups = 2;
    });
    expect(await refusal(bytes)).toMatch(/layer conv2d \(Conv2D\): option groups = 2 is not supported/);
    const cf = editedKeras((c) => {
      c.config.layers[3].config.data_format = "channels_first";
    });
    expect(await refusal(cf)).toMatch(/layer conv2d_1 \(Conv2D\): option data_format = "channels_first" is not supported/);
    const act = editedKeras((c) => {
      c.config.layers[7].config.activation = "my_activation";
    });
    expect(await refusal(act)).toMatch(/layer dense \(Dense\): option activation = "my_activation" is not a supported activation/);
  });

  it("a weight of the wrong shape names the layer, the weight and both shapes", async () => {
    const bytes = editedKeras((c) => {
      c.config.layers[7].config.units = 64;
    });
    // Dense(64) after a 1152-wide flatten needs a [1152, 64] kernel; the file has [1152, 128].
    expect(await refusal(bytes)).toMatch(/layer dense \(Dense\): weight kernel has shape \[1152, 128\] in the file, the layer's config needs \[1152, 64\]/);
  });

  it("absurd sizes are refused before anything is allocated", async () => {
    const huge = editedKeras((c) => {
      c.config.layers[7].config.units = 40000;
      c.config.layers.splice(9, 0, { class_name: "Dense", config: { name: "dense_big", units: 60000, activation: "relu" } });
    });
    expect(await refusal(huge)).toMatch(/more than 67108864 parameters \(at layer dense_big\)/);
    const shape = editedKeras((c) => {
      c.config.layers[0].config.batch_shape = [null, 28, 28, -5];
    });
    expect(await refusal(shape)).toMatch(/absurd input shape \[null, 28, 28, -5\]/);
  });

  it("an input that is not a 28x28 image", async () => {
    const bytes = editedKeras((c) => {
      c.config.layers[0].config.batch_shape = [null, 32, 32, 3];
    });
    expect(await refusal(bytes)).toMatch(/expects inputs of shape \[None, 32, 32, 3\]; Fashion-MNIST images are 28x28x1/);
  });

  it("a weights-only or foreign file", async () => {
    expect(await refusal(new Uint8Array(0), "empty.h5")).toMatch(/empty\.h5 is empty/);
    expect(await refusal(strToU8("<html>not a model</html>"), "page.keras")).toMatch(/neither a \.keras archive \(zip\) nor an HDF5 \.h5 file/);
    // model.weights.h5 alone is a valid HDF5 file without a model config.
    const weightsOnly = unzipSync(fixture("k3-cnn241546.keras"))["model.weights.h5"];
    expect(await refusal(weightsOnly, "model.weights.h5")).toMatch(/holds no model_config: it is a weights-only file/);
  });
});

describe.skipIf(!haveFixtures)("functional models", () => {
  /** The same network as the Sequential fixture, written as a Keras 3 or Keras 2 functional config. */
  function asFunctional(style: "keras3" | "keras2"): Uint8Array {
    return editedKeras((c) => {
      const layers = c.config.layers as Json[];
      let prev = layers[0].config.name as string;
      for (const l of layers.slice(1)) {
        l.inbound_nodes =
          style === "keras3"
            ? [{ args: [{ class_name: "__keras_tensor__", config: { shape: [null], dtype: "float32", keras_history: [prev, 0, 0] } }], kwargs: {} }]
            : [[[prev, 0, 0, {}]]];
        prev = l.config.name;
      }
      layers[0].inbound_nodes = [];
      c.class_name = style === "keras3" ? "Functional" : "Model";
      c.config.input_layers = style === "keras3" ? [layers[0].config.name, 0, 0] : [[layers[0].config.name, 0, 0]];
      c.config.output_layers = style === "keras3" ? [prev, 0, 0] : [[prev, 0, 0]];
    });
  }

  it("Keras 3 and Keras 2 functional configs give the same model as the Sequential one", async () => {
    await tf.setBackend("cpu");
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 7);
    const sequential = await importKerasModel(fixture("k3-cnn241546.keras"));
    const expected = (sequential.model.predict(x) as tf.Tensor).arraySync() as number[][];
    for (const style of ["keras3", "keras2"] as const) {
      const functional = await importKerasModel(asFunctional(style));
      expect(functional.modelClass).toBe("Functional");
      expect(functional.paramCount).toBe(241_546);
      const got = (functional.model.predict(x) as tf.Tensor).arraySync() as number[][];
      for (let i = 0; i < 4; i++) for (let c = 0; c < 10; c++) expect(Math.abs(got[i][c] - expected[i][c])).toBeLessThan(1e-6);
      functional.model.dispose();
    }
    sequential.model.dispose();
    x.dispose();
  });
});
