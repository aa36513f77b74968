/**
 * The registry side of `spec.dir.oci`, as the operator uses it: pull a
 * reference into a directory's files (cached by manifest digest), or tell
 * which digest a tag names now. Connections are kept per CA; nothing here
 * knows about Kubernetes.
 */
import { createHash } from 'node:crypto';
import type { Credentials } from './auth';
import { ContentCache } from './content-cache';
import { sizeError } from './errors';
import { Transport } from './http';
import { directoryFiles, type DirectoryFile } from './layout';
import { checkManifest, fetchLayers, fetchManifest, resolveDigest } from './pull';
import { parseReference, type Reference } from './reference';
import { RegistryClient } from './registry-client';

export interface PullRequest {
  /** `registry/repository:tag` or `…@sha256:…`. */
  readonly reference: string;
  readonly credentials?: Credentials;
  /** Plain HTTP. */
  readonly insecure?: boolean;
  /** PEM CA trusted besides the system roots. */
  readonly ca?: string;
  /** The most bytes of layers, stored and unpacked. */
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
}

export interface PulledDirectory {
  readonly reference: Reference;
  /** The manifest's digest. */
  readonly digest: string;
  readonly files: readonly DirectoryFile[];
  /** Layer bytes as stored in the registry. */
  readonly storedBytes: number;
  /** Whether the files came from the cache (the manifest was still checked with the registry). */
  readonly cached: boolean;
}

export interface PullerOptions {
  /** Bytes of pulled directories kept (default 256 MiB). */
  readonly cacheBytes?: number;
  /** Blobs fetched at once per pull (default 8). */
  readonly concurrency?: number;
  readonly idleTimeoutMs?: number;
}

interface Entry {
  readonly files: readonly DirectoryFile[];
  readonly storedBytes: number;
  readonly unpackedBytes: number;
}

const MAX_TRANSPORTS = 16;

export class OciPuller {
  private readonly cache: ContentCache<Entry>;
  private readonly transports = new Map<string, Transport>();

  constructor(private readonly options: PullerOptions = {}) {
    this.cache = new ContentCache(options.cacheBytes ?? 256 * 1024 * 1024);
  }

  /** Pulls read from the cache so far. */
  get cacheHits(): number {
    return this.cache.hits;
  }

  private transport(ca: string | undefined): Transport {
    const key = ca === undefined ? '' : createHash('sha256').update(ca).digest('hex');
    let t = this.transports.get(key);
    if (t !== undefined) {
      this.transports.delete(key);
      this.transports.set(key, t);
      return t;
    }
    t = new Transport({ ...(ca === undefined ? {} : { ca }), ...(this.options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: this.options.idleTimeoutMs }) });
    this.transports.set(key, t);
    for (const [k, old] of this.transports) {
      if (this.transports.size <= MAX_TRANSPORTS) break;
      this.transports.delete(k);
      old.close();
    }
    return t;
  }

  private client(request: PullRequest): RegistryClient {
    const ref = parseReference(request.reference);
    return new RegistryClient(ref, {
      transport: this.transport(request.ca),
      ...(request.credentials === undefined ? {} : { credentials: request.credentials }),
      ...(request.insecure === undefined ? {} : { insecure: request.insecure }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
  }

  /** The manifest digest the reference names now (one HEAD for a tag; none for a digest). */
  resolve(request: PullRequest): Promise<string> {
    return resolveDigest(this.client(request));
  }

  async pull(request: PullRequest): Promise<PulledDirectory> {
    const client = this.client(request);
    const ref = client.ref;
    const digest = await resolveDigest(client);
    const key = `${ref.endpoint}/${ref.repository}@${digest}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      // A tag's HEAD already proved access; a digest is checked with one HEAD.
      if (ref.digest !== undefined) await checkManifest(client, digest);
      if (hit.storedBytes > request.maxBytes || hit.unpackedBytes > request.maxBytes) {
        throw sizeError(`the artifact holds ${Math.max(hit.storedBytes, hit.unpackedBytes)} bytes, more than the ${request.maxBytes}-byte limit (spec.dir.oci.maxSize)`);
      }
      return { reference: ref, digest, files: hit.files, storedBytes: hit.storedBytes, cached: true };
    }
    const manifest = await fetchManifest(client, digest);
    const layers = await fetchLayers(client, manifest, { maxBytes: request.maxBytes, ...(this.options.concurrency === undefined ? {} : { concurrency: this.options.concurrency }) });
    const files = directoryFiles(layers, request.maxBytes);
    const storedBytes = manifest.layers.reduce((n, l) => n + l.size, 0);
    const unpackedBytes = files.reduce((n, f) => n + f.content.length, 0);
    if (unpackedBytes > request.maxBytes) throw sizeError(`the directory's files total ${unpackedBytes} bytes, more than the ${request.maxBytes}-byte limit (spec.dir.oci.maxSize)`);
    this.cache.set(key, { files, storedBytes, unpackedBytes }, Math.max(storedBytes, unpackedBytes));
    return { reference: ref, digest, files, storedBytes, cached: false };
  }

  close(): void {
    for (const t of this.transports.values()) t.close();
    this.transports.clear();
  }
}
