/**
 * Status writes that never act on stale data: compute the patch from the
 * resource as last read (or as our own last write returned it), write it
 * guarded by that resourceVersion, and on 409 Conflict read it fresh and
 * start over. A patch that would change nothing is not sent (steady state
 * makes no API writes).
 */
import { isConflict } from './kube/api-client';
import type { AtlasMigrationApi, AtlasMigrationObject, StatusPatch } from './kube/resources';

export type ComputeStatus = (fresh: AtlasMigrationObject) => StatusPatch | undefined;

export type WriteResult = 'written' | 'unchanged' | 'gone';

const MAX_ATTEMPTS = 8;

function changes(fresh: AtlasMigrationObject, patch: StatusPatch): boolean {
  const current = (fresh.status ?? {}) as Record<string, unknown>;
  return Object.entries(patch).some(([k, v]) => JSON.stringify(v ?? null) !== JSON.stringify(current[k] ?? null));
}

export class StatusWriter {
  constructor(private readonly api: AtlasMigrationApi) {}

  /**
   * Computes the patch from `known` (the object as this reconcile last read
   * or wrote it) or, without it or after a conflict, from a fresh GET.
   * Resolves with the object as written (or as read, when nothing changed).
   */
  async update(namespace: string, name: string, compute: ComputeStatus, known?: AtlasMigrationObject): Promise<{ result: WriteResult; object?: AtlasMigrationObject }> {
    let base = known;
    for (let attempt = 1; ; attempt++) {
      const fresh = base ?? (await this.api.get(namespace, name));
      base = undefined;
      if (fresh === undefined || fresh.metadata.deletionTimestamp !== undefined) return { result: 'gone' };
      const patch = compute(fresh);
      if (patch === undefined || !changes(fresh, patch)) return { result: 'unchanged', object: fresh };
      try {
        return { result: 'written', object: await this.api.patchStatus(namespace, name, patch, fresh.metadata.resourceVersion) };
      } catch (e) {
        if (!isConflict(e) || attempt >= MAX_ATTEMPTS) throw e;
      }
    }
  }

  /** Progress only: a merge patch of fields nothing else writes while a run goes, so no read is needed. */
  async progress(namespace: string, name: string, patch: StatusPatch): Promise<void> {
    await this.api.patchStatus(namespace, name, patch);
  }
}
