/** Eigen-decomposition of a symmetric n x n matrix (row-major) by cyclic Jacobi rotations:
 * eigenvalues largest first, eigenvectors as the columns of `vectors` (row-major n x n). Robust for
 * the small matrices PCA needs here (up to a few hundred rows). */
export function symmetricEigen(matrix: ArrayLike<number>, n: number, sweeps = 50): { values: number[]; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values: order.map((i) => a[i * n + i]), vectors };
}

/** Orthonormalises the columns of an n x m column-major matrix in place (modified Gram-Schmidt,
 * twice for stability). */
export function orthonormalizeColumns(cols: Float64Array, n: number, m: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < m; j++) {
      const cj = cols.subarray(j * n, (j + 1) * n);
      for (let i = 0; i < j; i++) {
        const ci = cols.subarray(i * n, (i + 1) * n);
        let dot = 0;
        for (let r = 0; r < n; r++) dot += ci[r] * cj[r];
        for (let r = 0; r < n; r++) cj[r] -= dot * ci[r];
      }
      let norm = 0;
      for (let r = 0; r < n; r++) norm += cj[r] * cj[r];
      norm = Math.sqrt(norm);
      for (let r = 0; r < n; r++) cj[r] = norm > 1e-12 ? cj[r] / norm : 0;
    }
  }
}

/**
 * Exact PCA of n points in d dimensions (row-major) through the d x d covariance: for narrow
 * layers, and the reference the randomized version is checked against.
 */
export function pca(data: Float32Array, n: number, d: number, components = 2): { projected: Float32Array; variance: number[]; totalVariance: number } {
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
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b];
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
  const { values, vectors } = symmetricEigen(cov, d);
  const k = Math.min(components, d);
  const projected = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (data[i * d + j] - mean[j]) * vectors[j * d + c];
      projected[i * k + c] = s;
    }
  }
  return { projected, variance: values.slice(0, k), totalVariance };
}
