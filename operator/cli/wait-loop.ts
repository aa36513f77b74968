/**
 * Follows an AtlasMigration until `wait` can answer: a terminal state
 * (ready, stalled, approval pending), the deadline, or an API refusal.
 * Reports each new state once, however many events repeat it.
 */
import type { KubeClient } from '../controller/kube/api-client';
import { ATLAS_MIGRATIONS } from '../controller/kube/resources';
import { migrationView, type MigrationView } from './migration-view';
import { watchObject } from './object-watch';
import { decideWait, type WaitState } from './wait-decision';

export interface WaitRequest {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  readonly forVersion?: string | undefined;
  readonly timeoutMs: number;
  /** Called with each new state, once. */
  readonly onState: (state: WaitState) => void;
  /** Called when a read or watch fails with a new error (it is retried). */
  readonly onRetry?: (error: Error) => void;
  /** Aborting ends the wait at once (a termination signal); its reason is the outcome's. */
  readonly signal?: AbortSignal;
}

export type WaitOutcome =
  | { readonly kind: 'done'; readonly state: Exclude<WaitState, { kind: 'waiting' }>; readonly view: MigrationView }
  | { readonly kind: 'timeout'; readonly last: WaitState | undefined; readonly lastError: Error | undefined }
  | { readonly kind: 'interrupted'; readonly reason: string; readonly last: WaitState | undefined };

export function waitForMigration(req: WaitRequest): Promise<WaitOutcome> {
  return new Promise((resolve, reject) => {
    const stop = new AbortController();
    let last: WaitState | undefined;
    let lastError: Error | undefined;
    const finish = (outcome: WaitOutcome): void => {
      clearTimeout(deadline);
      req.signal?.removeEventListener('abort', interrupt);
      stop.abort();
      resolve(outcome);
    };
    const deadline = setTimeout(() => finish({ kind: 'timeout', last, lastError }), req.timeoutMs);
    const interrupt = (): void => {
      if (!stop.signal.aborted) finish({ kind: 'interrupted', reason: String(req.signal?.reason), last });
    };
    req.signal?.addEventListener('abort', interrupt, { once: true });
    const onChange = (object: unknown): void => {
      if (stop.signal.aborted) return;
      const view = object === undefined ? undefined : migrationView(object);
      const state = decideWait(view, req.forVersion);
      lastError = undefined;
      if (state.summary !== last?.summary) req.onState(state);
      last = state;
      if (state.kind !== 'waiting' && view !== undefined) finish({ kind: 'done', state, view });
    };
    const onRetry = (e: Error): void => {
      if (e.message !== lastError?.message) req.onRetry?.(e);
      lastError = e;
    };
    const resource = { ...ATLAS_MIGRATIONS, namespace: req.namespace, name: req.name };
    watchObject({ client: req.client, resource, signal: stop.signal, onChange, onRetry }).catch((e: unknown) => {
      clearTimeout(deadline);
      req.signal?.removeEventListener('abort', interrupt);
      stop.abort();
      reject(e instanceof Error ? e : new Error(String(e)));
    });
  });
}
