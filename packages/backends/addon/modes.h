// Modes and operation codes that cross from JavaScript into the addon. src/native/modes.ts holds
// the same enums for the TypeScript side; test/modes.test.ts parses this file and fails when the
// two disagree (name or value).
#pragma once

namespace modes {

// conv2d(mode, ...) and convFused(mode, ...): which pass of the convolution.
enum ConvMode { CONV_FORWARD = 0, CONV_INPUT_GRAD = 1, CONV_FILTER_GRAD = 2 };

// The activation fused into convFused / biasAct.
enum Activation { ACT_LINEAR = 0, ACT_RELU = 1 };

// binary(op, ...): the elementwise operation.
enum BinOp { ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAX = 4, MIN = 5, SQDIFF = 6 };

// binary(..., mode, inner): how the two operands broadcast against the output of n elements.
enum Broadcast {
  BCAST_SAME = 0,      // both have n elements
  BCAST_A_SCALAR = 1,  // a is one value
  BCAST_B_SCALAR = 2,  // b is one value
  BCAST_B_SUFFIX = 3,  // b repeats with period `inner` (its shape is a suffix of the output's)
  BCAST_A_SUFFIX = 4,  // a repeats with period `inner`
  BCAST_B_BLOCK = 5,   // each b value covers `inner` consecutive outputs ([M, 1] against [M, N])
  BCAST_A_BLOCK = 6    // the same for a
};

// unary(op, ...): the elementwise function.
enum UnOp { RELU = 0, STEP = 1, SQRT = 2, SQUARE = 3, NEG = 4, EXP = 5, ABS = 6, RSQRT = 7, RELU6 = 8, SIGMOID = 9, LOG = 10, FLOOR = 11 };

}  // namespace modes
