/**
 * Which AtlasMigrations read which Secrets and ConfigMaps. A change to one
 * of those objects reconciles exactly the resources that use it; nothing
 * else about Secrets is kept.
 */
import type { AtlasMigrationSpec } from '../api/generated/atlasmigration-types';

export type ReferencedKind = 'Secret' | 'ConfigMap';

/** `Secret/<namespace>/<name>`. */
export function refKey(kind: ReferencedKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** Every Secret and ConfigMap the spec reads (in the resource's namespace). */
/** spec.dir.oci's pull Secret and CA Secret: a change (new credentials, a renewed CA) reconciles. */
function ociSecrets(dir: Partial<AtlasMigrationSpec['dir']> | undefined): (string | undefined)[] {
  return [dir?.oci?.pullSecret?.name, dir?.oci?.caSecretRef?.name];
}

export function referencesOf(namespace: string, spec: Partial<AtlasMigrationSpec> | undefined): string[] {
  const c = spec?.credentials;
  const secretRefs = [spec?.urlFrom, c?.userFrom, c?.passwordFrom, c?.hostFrom];
  const dir = spec?.dir;
  const secrets = [...secretRefs.map((r) => r?.secretKeyRef.name), ...ociSecrets(dir)];
  const configMaps = [dir?.configMapRef?.name, ...(dir?.configMapRefs ?? []).map((r) => r.name)];
  const named = (names: (string | undefined)[]): string[] => names.filter((n): n is string => n !== undefined && n !== '');
  const keys = [...named(secrets).map((n) => refKey('Secret', namespace, n)), ...named(configMaps).map((n) => refKey('ConfigMap', namespace, n))];
  return [...new Set(keys)];
}

export class ReferenceIndex {
  private readonly byOwner = new Map<string, readonly string[]>();
  private readonly byRef = new Map<string, Set<string>>();

  /** Records what `owner` reads now, replacing what it read before. */
  set(owner: string, refs: readonly string[]): void {
    this.remove(owner);
    this.byOwner.set(owner, refs);
    for (const ref of refs) {
      let owners = this.byRef.get(ref);
      if (owners === undefined) this.byRef.set(ref, (owners = new Set()));
      owners.add(owner);
    }
  }

  remove(owner: string): void {
    for (const ref of this.byOwner.get(owner) ?? []) {
      const owners = this.byRef.get(ref);
      owners?.delete(owner);
      if (owners?.size === 0) this.byRef.delete(ref);
    }
    this.byOwner.delete(owner);
  }

  /** The resources that read `ref`. */
  dependents(ref: string): string[] {
    return [...(this.byRef.get(ref) ?? [])];
  }

  get size(): number {
    return this.byOwner.size;
  }
}
