/**
 * ConfigMaps by resourceVersion: many AtlasMigrations often share one
 * migration directory, and a resync re-reads it; while the metadata watch
 * reports the version already read, the copy is reused instead of asking
 * the API server (and etcd) again. Bounded in entries and bytes.
 */
import type { ConfigMapObject, ObjectReader, SecretObject } from './object-reader';

const MAX_ENTRIES = 64;
const MAX_BYTES = 32 * 1024 * 1024;

function sizeOf(cm: ConfigMapObject): number {
  let n = 0;
  for (const v of Object.values(cm.data ?? {})) n += v.length;
  for (const v of Object.values(cm.binaryData ?? {})) n += v.length;
  return n;
}

export class CachingObjectReader implements ObjectReader {
  private readonly entries = new Map<string, { version: string; object: ConfigMapObject; bytes: number }>();
  private bytes = 0;
  /** Reads answered from the cache (for tests and tuning). */
  hits = 0;

  /**
   * @param inner the reader that asks the API server.
   * @param watchedVersion the resourceVersion the watch last saw for `namespace/name`.
   */
  constructor(
    private readonly inner: ObjectReader,
    private readonly watchedVersion: (namespace: string, name: string) => string | undefined,
  ) {}

  secret(namespace: string, name: string): Promise<SecretObject | undefined> {
    return this.inner.secret(namespace, name);
  }

  async configMap(namespace: string, name: string): Promise<ConfigMapObject | undefined> {
    const key = `${namespace}/${name}`;
    const cached = this.entries.get(key);
    const watched = this.watchedVersion(namespace, name);
    if (cached !== undefined && watched !== undefined && cached.version === watched) {
      this.hits++;
      return cached.object;
    }
    const object = await this.inner.configMap(namespace, name);
    this.store(key, object);
    return object;
  }

  private store(key: string, object: ConfigMapObject | undefined): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    const version = object?.metadata?.resourceVersion;
    if (object === undefined || version === undefined) return;
    const bytes = sizeOf(object);
    if (bytes > MAX_BYTES / 4) return;
    this.entries.set(key, { version, object, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES && this.bytes <= MAX_BYTES) break;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
  }
}
