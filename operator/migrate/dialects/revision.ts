/**
 * A row of `atlas_schema_revisions`, the history Atlas and this operator
 * share. Column semantics follow Atlas exactly so either tool can continue
 * where the other stopped.
 */

/** The `type` column is a bitmask. */
export const RevisionType = Object.freeze({
  Unknown: 0,
  /** Written by `--baseline`: the version counts as applied without running anything. */
  Baseline: 1,
  /** A file that was executed (the column default). */
  Execute: 2,
  /** Marked applied by hand (`migrate set`) without running. */
  Resolved: 4,
});

export interface Revision {
  readonly version: string;
  readonly description: string;
  readonly type: number;
  /** Statements of the file applied so far. */
  readonly applied: number;
  /** Statements in the file when it was first run. */
  readonly total: number;
  readonly executedAt: Date;
  /** Nanoseconds, as Go's time.Duration. */
  readonly executionTime: number;
  /** The database error of the last attempt, '' when there was none. */
  readonly error: string;
  readonly errorStmt: string;
  /** The file's `atlas.sum` entry, without `h1:`. */
  readonly hash: string;
  /** `h1:`-prefixed cumulative hashes of the applied statements while the file is partial; null once done. */
  readonly partialHashes: readonly string[] | null;
  readonly operatorVersion: string;
}

/** A revision with Atlas's zero values for everything not given (type: executed). */
export function makeRevision(fields: Pick<Revision, 'version'> & Partial<Revision>): Revision {
  return {
    description: '',
    type: RevisionType.Execute,
    applied: 0,
    total: 0,
    executedAt: new Date(),
    executionTime: 0,
    error: '',
    errorStmt: '',
    hash: '',
    partialHashes: null,
    operatorVersion: '',
    ...fields,
  };
}

/** A revision whose file stopped part way (failed, or interrupted). */
export function isPartial(r: Pick<Revision, 'applied' | 'total'>): boolean {
  return r.applied !== r.total;
}
