/**
 * The first principal components of n points in d dimensions (row-major), by power iteration with
 * deflation on the d x d covariance: d is the width of the layer before the classifier (32-256),
 * so the covariance is small and this takes well under a second for 10,000 points.
 */
export function pca(data: Float32Array, n: number, d: number, components = 2, iterations = 200): { projected: Float32Array; variance: number[]; totalVariance: number } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, n);
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const off = a * d;
      for (let b = a; b < d; b++) cov[off + b] += ra * row[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= Math.max(1, n - 1);
      cov[b * d + a] = cov[a * d + b];
    }
  }
  let totalVariance = 0;
  for (let a = 0; a < d; a++) totalVariance += cov[a * d + a];

  const vectors: Float64Array[] = [];
  const variance: number[] = [];
  for (let k = 0; k < components; k++) {
    // A fixed, non-degenerate start so results are reproducible.
    let v = Float64Array.from({ length: d }, (_, j) => 1 + ((j * 7919 + k * 104729) % 13) / 13);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        const off = a * d;
        for (let b = 0; b < d; b++) s += cov[off + b] * v[b];
        w[a] = s;
      }
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      for (let a = 0; a < d; a++) w[a] /= norm;
      const delta = w.reduce((s, x, a) => s + Math.abs(x - v[a]), 0);
      v = w;
      lambda = norm;
      if (delta < 1e-10) break;
    }
    vectors.push(v);
    variance.push(lambda);
    // Deflate: remove this component so the next iteration finds the next one.
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] -= lambda * v[a] * v[b];
  }

  const projected = new Float32Array(n * components);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < components; k++) {
      let s = 0;
      const v = vectors[k];
      for (let j = 0; j < d; j++) s += (data[i * d + j] - mean[j]) * v[j];
      projected[i * components + k] = s;
    }
  }
  return { projected, variance, totalVariance };
}
