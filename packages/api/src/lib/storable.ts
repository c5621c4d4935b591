/**
 * Strings PostgreSQL cannot store: a NUL character (text columns refuse 0x00) and lone UTF-16
 * surrogates (not encodable as UTF-8; jsonb refuses them). SQLite stores both, so without this check
 * the same input answers 200 on one database and 500 on the other. Checked on the raw input of every
 * procedure, keys included, before zod sees it.
 */

/** Deeper than any input of ours; a bound so a hostile nesting cannot exhaust the stack. */
const MAX_DEPTH = 32;

export interface UnstorableString {
  /** "name", "sort.column", "status.0"; "" for the input itself. */
  path: string;
  problem: string;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (code units,
 * hence no `u` flag). String.prototype.isWellFormed does this but is ES2024. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function problemOf(s: string): string | null {
  if (s.includes("\u0000")) return "contains a NUL character (\\u0000), which cannot be stored";
  if (LONE_SURROGATE.test(s)) return "contains a lone UTF-16 surrogate (invalid Unicode), which cannot be stored";
  return null;
}

/** The first string (value or object key) in `value` that cannot be stored, or null. */
export function findUnstorableString(value: unknown, path: string[] = []): UnstorableString | null {
  if (path.length > MAX_DEPTH) return { path: path.join("."), problem: `is nested more than ${MAX_DEPTH} levels deep` };
  if (typeof value === "string") {
    const problem = problemOf(value);
    return problem ? { path: path.join("."), problem } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableString(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    for (const [key, v] of Object.entries(value)) {
      const keyProblem = problemOf(key);
      if (keyProblem) return { path: [...path, JSON.stringify(key)].join("."), problem: `(a field name) ${keyProblem}` };
      const found = findUnstorableString(v, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/** "name: contains a NUL character ..." — the same shape as the zod messages. */
export function describeUnstorable(found: UnstorableString): string {
  return found.path ? `${found.path}: ${found.problem}` : `input ${found.problem}`;
}
