/**
 * The planner: given a directory and the revision rows a database holds,
 * which files run next. Pure logic; the caller reads the revisions and, for
 * a database without history, runs the dirty check first.
 *
 * The rules are Atlas's `Executor.Pending` and `ExecuteTo`, including their
 * edge cases (checkpoints only on a fresh database, partial files resumed,
 * byte-wise version order, binary search over the database's row order).
 */
import { isPartial, type Revision } from './dialects/revision';
import type { MigrationDirectory } from './directory';
import {
  BaselineNotFoundError,
  HistoryNonLinearError,
  InvalidOptionError,
  MissingMigrationError,
  type NotCleanError,
  VersionNotFoundError,
} from './errors';
import { compareUtf8 } from './file-name';
import type { MigrationFile } from './migration-file';

export const EXEC_ORDERS = ['linear', 'linear-skip', 'non-linear'] as const;
export type ExecOrder = (typeof EXEC_ORDERS)[number];

export interface PlanOptions {
  /** Default `linear`: a file older than the latest revision that never ran is an error. */
  readonly execOrder?: ExecOrder;
  /** On a database without history, treat this version as applied and run only later files. */
  readonly baseline?: string;
  /** On a database without history, skip the dirty check. */
  readonly allowDirty?: boolean;
  /** Stop after this version (the last file with it). */
  readonly toVersion?: string;
  /** Run at most this many files. */
  readonly amount?: number;
}

export interface Plan {
  /** A baseline revision to record before anything runs (fresh database with `baseline`). */
  readonly baseline: { readonly version: string; readonly description: string } | undefined;
  /** Files to execute, in order. A partially applied file resumes where it stopped. */
  readonly pending: readonly MigrationFile[];
  /** Files older than the latest revision that never ran (included in `pending` only for non-linear). */
  readonly outOfOrder: readonly MigrationFile[];
  /** The version the database is at before the plan runs, if any. */
  readonly current: string | undefined;
}

interface DatabaseHistory {
  /** Revision rows in the database's order (`ORDER BY version`). */
  readonly revisions: readonly Revision[];
  /** Result of the dirty check; only consulted when `revisions` is empty. */
  readonly notClean?: NotCleanError;
}

/** Go's slices.BinarySearchFunc: first index where cmp >= 0, and whether it is an exact hit. */
function binarySearch<T>(items: readonly T[], cmp: (item: T) => number): [number, boolean] {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(items[mid] as T) < 0) lo = mid + 1;
    else hi = mid;
  }
  return [lo, lo < items.length && cmp(items[lo] as T) === 0];
}

function lastIndex<T>(items: readonly T[], pred: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i] as T)) return i;
  return -1;
}

function fromLastCheckpoint(files: readonly MigrationFile[]): MigrationFile[] {
  const i = lastIndex(files, (f) => f.isCheckpoint);
  return files.slice(i === -1 ? 0 : i);
}

interface Pending {
  baseline: Plan['baseline'];
  pending: MigrationFile[];
  outOfOrder: MigrationFile[];
}

function firstRun(all: readonly MigrationFile[], history: DatabaseHistory, opts: PlanOptions): Pending {
  if (history.notClean !== undefined && opts.allowDirty !== true && opts.baseline === undefined) {
    throw history.notClean.requiringFlag();
  }
  if (opts.baseline === undefined) return { baseline: undefined, pending: fromLastCheckpoint(all), outOfOrder: [] };
  const migrations = all.filter((f) => !f.isCheckpoint);
  const at = lastIndex(migrations, (f) => f.version === opts.baseline);
  const file = migrations[at];
  if (file === undefined) throw new BaselineNotFoundError(opts.baseline);
  return {
    baseline: { version: file.version, description: file.description },
    pending: migrations.slice(at + 1),
    outOfOrder: [],
  };
}

/**
 * A checkpoint that stopped part way: it is the first file a fresh database
 * runs, so it resumes followed by every ordinary file after it.
 */
function resumedCheckpoint(all: readonly MigrationFile[], last: Revision): Pending | undefined {
  const [i, found] = binarySearch(all, (f) => compareUtf8(f.version, last.version));
  const hit = all[i];
  if (!found || hit?.isCheckpoint !== true) return undefined;
  return { baseline: undefined, pending: [hit, ...all.slice(i).filter((f) => !f.isCheckpoint)], outOfOrder: [] };
}

function withHistory(all: readonly MigrationFile[], revisions: readonly Revision[], order: ExecOrder): Pending {
  const last = revisions[revisions.length - 1] as Revision;
  const partial = isPartial(last);
  const checkpoint = partial ? resumedCheckpoint(all, last) : undefined;
  if (checkpoint !== undefined) return checkpoint;
  const migrations = all.filter((f) => !f.isCheckpoint);
  if (migrations.length === 0) return { baseline: undefined, pending: [], outOfOrder: [] };
  let idx = lastIndex(migrations, (f) =>
    partial ? f.version === last.version : compareUtf8(f.version, last.version) <= 0,
  );
  if (idx === -1) {
    if (partial) throw new MissingMigrationError(last.version, last.description);
    // Every file is newer than the database's history.
    return { baseline: undefined, pending: migrations, outOfOrder: [] };
  }
  if (!partial) idx++;
  const pending = migrations.slice(idx);
  const skipped = order === 'linear-skip' ? [] : skippedFiles(migrations.slice(0, idx), revisions);
  if (skipped.length === 0) return { baseline: undefined, pending, outOfOrder: [] };
  if (order === 'linear') {
    throw new HistoryNonLinearError(
      skipped.map((f) => f.name),
      pending.map((f) => f.name),
    );
  }
  return { baseline: undefined, pending: [...skipped, ...pending], outOfOrder: skipped };
}

/**
 * Files inside the span of the database's history that have no revision.
 * Files older than the first revision are never "skipped": they predate a
 * baseline or checkpoint.
 */
function skippedFiles(before: readonly MigrationFile[], revisions: readonly Revision[]): MigrationFile[] {
  const firstRevision = (revisions[0] as Revision).version;
  const first = before.findIndex((f) => compareUtf8(f.version, firstRevision) >= 0);
  if (first === -1) return [];
  return before.slice(first).filter((f) => !binarySearch(revisions, (r) => compareUtf8(r.version, f.version))[1]);
}

function pendingFiles(all: readonly MigrationFile[], history: DatabaseHistory, opts: PlanOptions): Pending {
  if (history.revisions.length === 0) return firstRun(all, history, opts);
  return withHistory(all, history.revisions, opts.execOrder ?? 'linear');
}

/** Atlas's hint for a mistyped target: a version that contains it, or that it contains. */
function suggestVersion(all: readonly MigrationFile[], version: string): string | undefined {
  if (version === '') return undefined;
  const i = lastIndex(
    all,
    (f) => version.includes(f.version) || (f.version.includes(version) && f.version.length - version.length > 1),
  );
  return all[i]?.version;
}

function pendingUpTo(all: readonly MigrationFile[], history: DatabaseHistory, opts: PlanOptions, version: string): Pending {
  const idx = lastIndex(all, (f) => f.version === version);
  if (idx === -1) throw new VersionNotFoundError(version, suggestVersion(all, version));
  // A checkpoint after the target would be picked by a fresh database: plan on the files up to the target only.
  if (all.slice(idx + 1).some((f) => f.isCheckpoint)) return pendingFiles(all.slice(0, idx + 1), history, opts);
  const result = pendingFiles(all, history, opts);
  const cut = lastIndex(result.pending, (f) => f.version === version);
  if (cut === -1) throw new VersionNotFoundError(version);
  return { ...result, pending: result.pending.slice(0, cut + 1) };
}

/**
 * Plans a run. The directory must already be validated against its
 * `atlas.sum`; the caller decides whether an empty plan is an error.
 */
export function plan(directory: MigrationDirectory, history: DatabaseHistory, opts: PlanOptions = {}): Plan {
  if (opts.baseline !== undefined && opts.allowDirty === true) {
    throw new InvalidOptionError('sql/migrate: baseline and allow-dirty are mutually exclusive');
  }
  if (opts.amount !== undefined && (!Number.isInteger(opts.amount) || opts.amount < 1)) {
    throw new InvalidOptionError(`cannot apply '${opts.amount}' migration files`);
  }
  const all = directory.files;
  const result =
    opts.toVersion === undefined ? pendingFiles(all, history, opts) : pendingUpTo(all, history, opts, opts.toVersion);
  const pending = opts.amount === undefined ? result.pending : result.pending.slice(0, opts.amount);
  const lastRevision = history.revisions[history.revisions.length - 1];
  return {
    baseline: result.baseline,
    pending,
    outOfOrder: result.outOfOrder,
    current: result.baseline?.version ?? lastRevision?.version,
  };
}
