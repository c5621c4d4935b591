/** Every kernel the "native" backend overrides, by kind of operation. */

import type * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "../addon";
import { convKernels } from "./conv";
import { elementwiseKernels } from "./elementwise";
import { matMulKernels } from "./matmul";
import { normalizationKernels } from "./normalization";
import { optimizerKernels } from "./optimizer";
import { poolingKernels } from "./pooling";
import { reductionKernels } from "./reductions";

export { alloc, BACKEND_NAME, copyCpuKernel, kernelStats, setAfterCpuKernel } from "./common";
export { CONV_FUSED, CONV_FUSED_GRAD_FILTER, CONV_FUSED_GRAD_INPUT, type FusedConvAttrs } from "./conv";
export { RELU_GRAD_KERNEL } from "./elementwise";
export { BATCH_NORM_GRAD, BATCH_NORM_TRAIN, type BatchNormTrainAttrs } from "./normalization";
export { ADAM_KERNEL } from "./optimizer";

export function nativeKernels(addon: NativeAddon): tf.KernelConfig[] {
  return [
    ...convKernels(addon),
    ...poolingKernels(addon),
    ...matMulKernels(addon),
    ...elementwiseKernels(addon),
    ...reductionKernels(addon),
    ...normalizationKernels(addon),
    ...optimizerKernels(addon),
  ];
}
