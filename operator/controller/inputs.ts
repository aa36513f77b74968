/**
 * Two fingerprints of what a reconcile depends on:
 * - `observedHash` (status.observed_hash): the content that decides what is
 *   applied (the target without its password, the directory's atlas.sum
 *   total, the apply options), stable across operator restarts;
 * - `inputsKey`: what the watches can see changed (generation and the
 *   resourceVersions of referenced Secrets and ConfigMaps), so an idle
 *   resync can tell "nothing changed" without reading any of them.
 */
import { createHash } from 'node:crypto';
import type { MigrationDirectory } from '../migrate/directory';
import type { MigrationOptions } from './steps/read-spec';
import type { Target } from './steps/resolve-target';

export function observedHash(target: Target, directory: MigrationDirectory, options: MigrationOptions): string {
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
  return h.digest('hex');
}

/** `uid/generation` plus each referenced object's resourceVersion (`-` when it does not exist). */
export function inputsKey(uid: string, generation: number, refs: readonly string[], versionOf: (ref: string) => string | undefined): string {
  return [`${uid}/${generation}`, ...refs.map((r) => `${r}@${versionOf(r) ?? '-'}`)].join(' ');
}
