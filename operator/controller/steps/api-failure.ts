import type { FailureKind } from '../../api/reasons';
import { ApiError } from '../kube/api-client';

/**
 * Whether a failed read of a Secret or ConfigMap can pass by itself. Only a
 * malformed request is permanent; throttling, timeouts, a missing RBAC
 * grant (someone may add the RoleBinding, which no watch would show us),
 * server errors and broken connections are retried with backoff.
 */
export function apiFailureKind(e: unknown): FailureKind {
  return e instanceof ApiError && (e.status === 400 || e.status === 422) ? 'permanent' : 'transient';
}
