/**
 * Status writes that never act on stale data: read the resource fresh,
 * compute the patch from that read, write it guarded by the read's
 * resourceVersion, and on 409 Conflict start over. A patch that would
 * change nothing is not sent (steady state makes no API writes).
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

  async update(namespace: string, name: string, compute: ComputeStatus): Promise<WriteResult> {
    for (let attempt = 1; ; attempt++) {
      const fresh = await this.api.get(namespace, name);
      if (fresh === undefined || fresh.metadata.deletionTimestamp !== undefined) return 'gone';
      const patch = compute(fresh);
      if (patch === undefined || !changes(fresh, patch)) return 'unchanged';
      try {
        await this.api.patchStatus(namespace, name, patch, fresh.metadata.resourceVersion);
        return 'written';
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
