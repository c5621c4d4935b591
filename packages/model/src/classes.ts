/** Fashion-MNIST label order (0..9), as published by Zalando Research. */
export const CLASS_NAMES_EN = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

export const CLASS_NAMES_ZH = [
  "T恤/上衣",
  "裤子",
  "套头衫",
  "连衣裙",
  "外套",
  "凉鞋",
  "衬衫",
  "运动鞋",
  "包",
  "短靴",
] as const;

export const NUM_CLASSES = 10;
// The image shape is the dataset's; re-exported so browser code reading class names has it too.
export { IMAGE_PIXELS, IMAGE_SIZE } from "@fmnist/data/image";

export type Locale = "en" | "zh";

export function className(label: number, locale: Locale = "en"): string {
  const names = locale === "zh" ? CLASS_NAMES_ZH : CLASS_NAMES_EN;
  const name = names[label];
  if (name === undefined) throw new RangeError(`label ${label} is not a Fashion-MNIST class (0..9)`);
  return name;
}

export function classNames(locale: Locale = "en"): readonly string[] {
  return locale === "zh" ? CLASS_NAMES_ZH : CLASS_NAMES_EN;
}
