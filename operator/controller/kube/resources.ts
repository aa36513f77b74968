/**
 * Typed reads and writes of the objects the operator touches: its
 * AtlasMigrations (fresh reads, status merge patches guarded by
 * resourceVersion) and the Secrets and ConfigMaps they reference.
 */
import { API_GROUP, API_VERSION, PLURAL } from '../../api/atlasmigration-schema';
import type { AtlasMigrationStatus } from '../../api/generated/atlasmigration-types';
import type { ConfigMapObject, ObjectReader, SecretObject } from '../steps/object-reader';
import { isNotFound, resourcePath, type KubeClient } from './api-client';
import type { ObjectMeta } from './list-watch';

export interface AtlasMigrationObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta & { readonly namespace: string; readonly uid: string; readonly generation: number };
  readonly spec?: unknown;
  readonly status?: AtlasMigrationStatus;
}

/** A status merge patch: a key set to null removes the field. */
export type StatusPatch = { [K in keyof AtlasMigrationStatus]?: AtlasMigrationStatus[K] | null };

export const ATLAS_MIGRATIONS = { group: API_GROUP, version: API_VERSION, plural: PLURAL } as const;

async function getOrUndefined<T>(client: KubeClient, path: string): Promise<T | undefined> {
  try {
    return await client.json<T>({ method: 'GET', path });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export class AtlasMigrationApi {
  constructor(private readonly client: KubeClient) {}

  get(namespace: string, name: string): Promise<AtlasMigrationObject | undefined> {
    return getOrUndefined(this.client, resourcePath({ ...ATLAS_MIGRATIONS, namespace, name }));
  }

  /**
   * Merge-patches the status subresource. With `resourceVersion` the write
   * fails with 409 Conflict if the object changed since it was read.
   */
  patchStatus(namespace: string, name: string, status: StatusPatch, resourceVersion?: string): Promise<AtlasMigrationObject> {
    return this.client.json({
      method: 'PATCH',
      path: resourcePath({ ...ATLAS_MIGRATIONS, namespace, name, subresource: 'status' }),
      contentType: 'application/merge-patch+json',
      body: { ...(resourceVersion === undefined ? {} : { metadata: { resourceVersion } }), status },
    });
  }
}

export class CoreObjectReader implements ObjectReader {
  constructor(private readonly client: KubeClient) {}

  secret(namespace: string, name: string): Promise<SecretObject | undefined> {
    return getOrUndefined(this.client, resourcePath({ group: '', version: 'v1', plural: 'secrets', namespace, name }));
  }

  configMap(namespace: string, name: string): Promise<ConfigMapObject | undefined> {
    return getOrUndefined(this.client, resourcePath({ group: '', version: 'v1', plural: 'configmaps', namespace, name }));
  }
}
