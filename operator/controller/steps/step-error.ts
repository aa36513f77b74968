import type { FailureKind, ReasonName } from '../../api/reasons';
import { CodedError } from '../../migrate/dialects/coded-error';

/**
 * A reconcile step failed. `reason` becomes the Ready condition's reason
 * and the Warning event's; `kind` decides what happens next: a transient
 * failure is retried with backoff, a permanent one waits for the resource
 * or what it references to change.
 */
export class StepError extends CodedError<'Step'> {
  readonly code = 'Step';
  /** Values read from Secrets before the step failed: kept out of every message. */
  secrets: readonly string[] = [];
  /**
   * The failure is outside the cluster (a registry's answer): no watch will
   * see it fixed, so a resource stalled on it is retried each resync even
   * when its reason is otherwise cluster-side.
   */
  outsideCluster = false;

  constructor(
    readonly reason: ReasonName,
    readonly kind: FailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
