/**
 * The plan hash: a fingerprint of exactly what a reviewer approves, the
 * pending files' names and atlas.sum hashes in order. Nothing the database
 * or the cluster adds (current version, statement counts, findings) enters
 * it, so `migrate lint` can print it before the change is committed and the
 * operator computes the same value from its plan.
 */
import { createHash } from 'node:crypto';

export interface PlanHashEntry {
  /** File name, e.g. `20230316085611.sql`. */
  readonly name: string;
  /** The file's hash as SumFile keeps it: base64, without `h1:`. */
  readonly hash: string;
}

/**
 * Lowercase hex SHA-256 of the pending files' atlas.sum lines
 * (`<name> h1:<hash>\n`), in apply order: a reviewer can reproduce it from
 * atlas.sum alone (`tail -n N atlas.sum | sha256sum` for the last N files).
 */
export function planHash(files: readonly PlanHashEntry[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.name} h1:${f.hash}\n`);
  return h.digest('hex');
}
