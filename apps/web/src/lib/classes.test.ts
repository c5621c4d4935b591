import { CLASS_NAMES_EN as modelEn, CLASS_NAMES_ZH as modelZh } from "@fmnist/model";
import { describe, expect, it } from "vitest";
import { CLASS_NAMES_EN, CLASS_NAMES_ZH, classNames } from "./classes";

describe("browser class names", () => {
  it("are the model package's", () => {
    expect(CLASS_NAMES_EN).toEqual(modelEn);
    expect(CLASS_NAMES_ZH).toEqual(modelZh);
    expect(classNames("zh")[6]).toBe("衬衫");
  });
});
