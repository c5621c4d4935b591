import * as tf from "@tensorflow/tfjs";
import { orthonormalizeColumns, symmetricEigen } from "./pca";

/**
 * The first `k` principal components of the rows of x (n x d) by randomized SVD (Halko, Martinsson
 * and Tropp 2011: a Gaussian sketch, `iterations` power iterations, then the small l x l problem).
 * The big products run as tfjs matMuls on the worker's backend: the layer before the classifier
 * can be wide (1,352 values for tiny-cnn), where the d x d covariance would take tens of seconds.
 */
export function randomizedPca(x: tf.Tensor2D, k: number, { oversample = 10, iterations = 3, seed = 42 } = {}) {
  const [n, d] = x.shape;
  const l = Math.min(d, n, k + oversample);
  const xc = tf.tidy(() => x.sub(x.mean(0)));
  const totalVariance = tf.tidy(() => xc.square().sum().dataSync()[0]) / Math.max(1, n - 1);

  // Orthonormal n x l basis, as a tensor, from a tensor's columns.
  const orth = (y: tf.Tensor): tf.Tensor2D => {
    const colMajor = Float64Array.from(tf.tidy(() => y.transpose().dataSync()));
    orthonormalizeColumns(colMajor, n, l);
    return tf.tidy(() => tf.tensor2d(Float32Array.from(colMajor), [l, n]).transpose());
  };

  const sketch = tf.tidy(() => tf.matMul(xc, tf.randomNormal([d, l], 0, 1, "float32", seed)));
  let q = orth(sketch);
  sketch.dispose();
  for (let it = 0; it < iterations; it++) {
    const y = tf.tidy(() => tf.matMul(xc, tf.matMul(xc, q, true, false)));
    q.dispose();
    q = orth(y);
    y.dispose();
  }
  // B = Q^T Xc (l x d); B B^T = U S^2 U^T; the projections are Xc V = Q U S.
  const bbt = tf.tidy(() => {
    const b = tf.matMul(q, xc, true, false);
    return tf.matMul(b, b, false, true).dataSync();
  });
  const { values, vectors } = symmetricEigen(bbt, l);
  const kk = Math.min(k, l);
  const us = new Float32Array(l * kk);
  for (let r = 0; r < l; r++) for (let c = 0; c < kk; c++) us[r * kk + c] = vectors[r * l + c] * Math.sqrt(Math.max(0, values[c]));
  const projected = tf.tidy(() => tf.matMul(q, tf.tensor2d(us, [l, kk])).dataSync() as Float32Array);
  q.dispose();
  xc.dispose();
  return { projected, components: kk, variance: values.slice(0, kk).map((v) => v / Math.max(1, n - 1)), totalVariance };
}
