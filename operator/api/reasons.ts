/**
 * The reasons of the Ready condition, one per reconcile step, in Atlas's
 * words where its step is the same. Argo CD's built-in health check for
 * AtlasMigration reads them: Ready=True is Healthy, Ready=False with reason
 * `Reconciling` is Progressing, any other Ready=False reason is Degraded.
 * The README lists each one; a test checks the list is complete.
 */
export const Reason = Object.freeze({
  /** Work in progress: files are being applied, or the inputs changed and a run is about to start. */
  Reconciling: 'Reconciling',
  /** The database is at the directory's latest version (Atlas's word). */
  Applied: 'Applied',
  /**
   * The plan needs a person's approval (spec.approval) and has none for this
   * plan hash: nothing was applied, the plan is in status.plan (atlas-operator's word).
   */
  ApprovalPending: 'ApprovalPending',
  /** `dryRun: true` and files are pending: the plan is in status, nothing was changed. */
  DryRun: 'DryRun',
  /** The spec fails validation beyond what the apiserver enforces. */
  InvalidSpec: 'InvalidSpec',
  /** The spec uses a field this operator cannot serve (Atlas Cloud, custom atlas.hcl, down migrations). */
  UnsupportedField: 'UnsupportedField',
  /** The database URL could not be resolved: a Secret or key is missing, or the URL is invalid. */
  ResolvingTarget: 'ResolvingTarget',
  /** The migration directory could not be read or fails atlas.sum (Atlas's word). */
  ReadingMigrationData: 'ReadingMigrationData',
  /** The database could not be reached or refused the login. */
  Connecting: 'Connecting',
  /** Locking, planning or applying failed: a statement, the lock timeout, the history (Atlas's word). */
  Migrating: 'Migrating',
  /**
   * The database is ahead of the directory (it has more applied revisions
   * than the directory has files, as after reverting a commit that added
   * one): going down is a protected flow, refused; nothing ran (atlas-operator's word and message).
   */
  ProtectedFlowError: 'ProtectedFlowError',
  /** The failure repeated more than backoffLimit times; the operator waits for a change (Atlas's event reason). */
  BackoffLimitExceeded: 'BackoffLimitExceeded',
});

export type ReasonName = (typeof Reason)[keyof typeof Reason];

/** What a failure asks of the operator: retry it later, or wait until something changes. */
export type FailureKind = 'transient' | 'permanent';

export const CONDITION_TYPES = Object.freeze({ Ready: 'Ready', Reconciling: 'Reconciling', Stalled: 'Stalled' });

/** The field manager of every write the operator makes. */
export const FIELD_MANAGER = 'atlas-k8s-migrator';
