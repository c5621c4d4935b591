// The architecture registry's names and facts without tfjs, so browser forms and schemas can list
// them. architectures.ts checks (by type) that every name here has a builder; model.test.ts checks
// that the parameter counts and FLOPs below are what the built models have.
export const ARCHITECTURE_NAMES = ["reference-cnn", "seed-notebook-cnn", "seed-notebook-cnn-bn", "reference-cnn-bn", "resnet-small", "mlp", "tiny-cnn"] as const;
export type ArchitectureName = (typeof ARCHITECTURE_NAMES)[number];
export const DEFAULT_ARCHITECTURE: ArchitectureName = "reference-cnn";

export interface ArchitectureInfo {
  description: string;
  params: number;
  /** Floating-point operations of one forward pass of one image (see forwardFlops). */
  flops: number;
}

export const ARCHITECTURE_INFO: Record<ArchitectureName, ArchitectureInfo> = {
  "reference-cnn": {
    description: "The seed README's model: Conv2D(32) > MaxPool > Conv2D(64) > MaxPool > Conv2D(128) > Flatten > Dropout > Dense(128) > Dense(10)",
    params: 241_546,
    flops: 6_481_504,
  },
  "seed-notebook-cnn": {
    description: "What the seed notebook trained (93.18%): 2x Conv2D(32, same) > MaxPool > Dropout .25 > 2x Conv2D(64, same) > MaxPool > Dropout .25 > Dense(512) > Dropout .5 > Dense(10)",
    params: 1_676_266,
    flops: 39_809_216,
  },
  "seed-notebook-cnn-bn": {
    description:
      "The seed notebook's network with batch normalisation: 2x Conv2D(32, same) > MaxPool > Dropout .1 > 2x Conv2D(64, same) > MaxPool > Dropout .1 > Dense(512), each followed by BatchNorm > ReLU; Dropout > Dense(10)",
    params: 1_678_378,
    flops: 39_960_768,
  },
  "reference-cnn-bn": {
    description: "reference-cnn with batch normalisation after each convolution (Conv2D without bias > BatchNorm > ReLU)",
    params: 242_218,
    flops: 6_542_560,
  },
  "resnet-small": {
    description: "A small ResNet: 3x3 stem, 3 stages x 2 residual blocks (16/32/64 channels at 28/14/7 px), BatchNorm, global average pooling, Dropout, Dense(10)",
    params: 176_090,
    flops: 40_621_952,
  },
  mlp: { description: "Flatten > Dense(256) > Dropout > Dense(10): a dense baseline, about 88%", params: 203_530, flops: 406_528 },
  "tiny-cnn": { description: "Conv2D(8) > MaxPool > Flatten > Dense(10): for smoke tests and demos", params: 13_610, flops: 125_736 },
};
