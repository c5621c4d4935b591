/**
 * Modes and operation codes passed to the addon. addon/modes.h declares the same enums for the C++
 * side; test/modes.test.ts fails when a name or value differs between the two.
 */

/** conv2d / convFused: which pass of the convolution. */
export enum ConvMode {
  CONV_FORWARD = 0,
  CONV_INPUT_GRAD = 1,
  CONV_FILTER_GRAD = 2,
}

/** The activation fused into convFused / biasAct. */
export enum Activation {
  ACT_LINEAR = 0,
  ACT_RELU = 1,
}

/** binary / binaryStrided: the elementwise operation. */
export enum BinOp {
  ADD = 0,
  SUB = 1,
  MUL = 2,
  DIV = 3,
  MAX = 4,
  MIN = 5,
  SQDIFF = 6,
}

/** binary(..., mode, inner): how the operands broadcast against the output. */
export enum Broadcast {
  BCAST_SAME = 0,
  BCAST_A_SCALAR = 1,
  BCAST_B_SCALAR = 2,
  BCAST_B_SUFFIX = 3,
  BCAST_A_SUFFIX = 4,
  BCAST_B_BLOCK = 5,
  BCAST_A_BLOCK = 6,
}

/** unary: the elementwise function. */
export enum UnOp {
  RELU = 0,
  STEP = 1,
  SQRT = 2,
  SQUARE = 3,
  NEG = 4,
  EXP = 5,
  ABS = 6,
  RSQRT = 7,
  RELU6 = 8,
  SIGMOID = 9,
  LOG = 10,
  FLOOR = 11,
}

/** Every enum shared with addon/modes.h, by its C++ name. */
export const SHARED_ENUMS = { ConvMode, Activation, BinOp, Broadcast, UnOp } as const;
