/**
 * Two fingerprints of what a reconcile depends on:
 * - `observedHash` (status.observed_hash): the content that decides what is
 *   applied (the target without its password, the directory's atlas.sum
 *   total, the apply options, an OCI directory's manifest digest), stable
 *   across operator restarts;
 * - `inputsKey`: what the watches can see changed (generation, the
 *   approval annotation and the resourceVersions of referenced Secrets and
 *   ConfigMaps), so an idle resync can tell "nothing changed" without
 *   reading any of them.
 */
import { createHash } from 'node:crypto';
import { approvedPlanOf } from '../api/approval';
import type { MigrationDirectory } from '../migrate/directory';
import type { MigrationOptions } from './steps/read-spec';
import type { Target } from './steps/resolve-target';

/** `dirDigest`: the manifest digest of spec.dir.oci (absent for other sources, whose hashes stay as they were). */
export function observedHash(target: Target, directory: MigrationDirectory, options: MigrationOptions, dirDigest?: string): string {
  const h = createHash('sha256');
  for (const part of [
    target.fingerprint,
    directory.computedSum().format(),
    options.revisionsSchema ?? '',
    options.baseline ?? '',
    options.execOrder,
    options.txMode,
    String(options.dryRun),
  ]) {
    h.update(part).update('\0');
  }
  if (dirDigest !== undefined) h.update(`oci ${dirDigest}`).update('\0');
  return h.digest('hex');
}

/**
 * What of the resource itself is input: `uid/generation`, plus the approved
 * plan hash when annotated. Annotations do not bump the generation, and an
 * approval must wake the resource it names.
 */
export function resourceIdentity(metadata: { readonly uid?: string; readonly generation?: number }): string {
  const approved = approvedPlanOf(metadata);
  return `${metadata.uid ?? ''}/${metadata.generation ?? 0}${approved === undefined ? '' : ` approved=${approved}`}`;
}

/** The resource's identity plus each referenced object's resourceVersion (`-` when it does not exist). */
export function inputsKey(identity: string, refs: readonly string[], versionOf: (ref: string) => string | undefined): string {
  return [identity, ...refs.map((r) => `${r}@${versionOf(r) ?? '-'}`)].join(' ');
}
