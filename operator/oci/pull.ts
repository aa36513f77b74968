/**
 * Pulling one artifact: resolve the reference to a manifest digest, fetch
 * the manifest by that digest (its bytes must hash to it), check the
 * layers' declared sizes against the limit before any download, then fetch
 * the blobs a few at a time, each checked against its descriptor's size and
 * digest as it streams (a body longer than declared is cut off at once),
 * the total held to the limit throughout.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DigestMismatchError, sizeError } from './errors';
import { header, readBody } from './http';
import { layerLabel, type PulledLayer } from './layout';
import { MANIFEST_ACCEPT, MANIFEST_LIMIT, parseManifest, type Layer, type Manifest } from './manifest';
import { formatReference, manifestReference } from './reference';
import type { RegistryClient } from './registry-client';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface PullLimits {
  /** The most bytes of layers, as stored and as unpacked. */
  readonly maxBytes: number;
  /** Blobs fetched at once. Default 8. */
  readonly concurrency?: number;
}

function digestOf(bytes: Buffer, algorithm: string): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * The manifest digest the reference names now: its own digest, or the tag's
 * answer to one HEAD (`Docker-Content-Digest`; a GET, hashed, when a
 * registry does not say).
 */
export async function resolveDigest(client: RegistryClient): Promise<string> {
  const ref = client.ref;
  if (ref.digest !== undefined) return ref.digest;
  const what = `manifest ${formatReference(ref)}`;
  const head = await client.fetch('HEAD', client.url('manifests', manifestReference(ref)), MANIFEST_ACCEPT, what);
  head.resume();
  const said = header(head.headers, 'docker-content-digest');
  if (said !== undefined && DIGEST.test(said)) return said;
  const res = await client.fetch('GET', client.url('manifests', manifestReference(ref)), MANIFEST_ACCEPT, what);
  return (await readBody(res, MANIFEST_LIMIT, what)).digest;
}

/** The manifest with this digest, its bytes verified. */
export async function fetchManifest(client: RegistryClient, digest: string): Promise<Manifest> {
  const what = `manifest ${client.ref.registry}/${client.ref.repository}@${digest}`;
  const res = await client.fetch('GET', client.url('manifests', digest), MANIFEST_ACCEPT, what);
  const body = await readBody(res, MANIFEST_LIMIT, what);
  if (body.digest !== digest) throw new DigestMismatchError(`manifest of ${formatReference(client.ref)}`, digest, body.digest);
  return parseManifest(body.bytes, digest, header(res.headers, 'content-type'));
}

/** Proves the reference is readable with these credentials (one HEAD), without reading it. */
export async function checkManifest(client: RegistryClient, digest: string): Promise<void> {
  const res: IncomingMessage = await client.fetch('HEAD', client.url('manifests', digest), MANIFEST_ACCEPT, `manifest ${client.ref.registry}/${client.ref.repository}@${digest}`);
  res.resume();
}

function declaredTotal(manifest: Manifest, limit: number): number {
  const total = manifest.layers.reduce((n, l) => n + l.size, 0);
  if (total > limit) {
    throw sizeError(`the artifact's ${manifest.layers.length} layer(s) total ${total} bytes, more than the ${limit}-byte limit (spec.dir.oci.maxSize)`);
  }
  return total;
}

async function fetchBlob(client: RegistryClient, layer: Layer, budget: { used: number; limit: number }): Promise<Buffer> {
  const label = layerLabel(layer);
  const res = await client.fetch('GET', client.url('blobs', layer.digest), undefined, `blob of ${label}`);
  const body = await readBody(res, layer.size, `blob of ${label} (declared ${layer.size} bytes)`, (n) => {
    budget.used += n;
    if (budget.used > budget.limit) throw sizeError(`the layers pulled so far pass the ${budget.limit}-byte limit (spec.dir.oci.maxSize)`);
  });
  if (body.bytes.length !== layer.size) throw sizeError(`blob of ${label}: the registry sent ${body.bytes.length} bytes, the manifest declares ${layer.size}`);
  const algorithm = layer.digest.slice(0, layer.digest.indexOf(':'));
  const actual = algorithm === 'sha256' ? body.digest : digestOf(body.bytes, algorithm);
  if (actual !== layer.digest) throw new DigestMismatchError(`blob of ${label}`, layer.digest, actual);
  return body.bytes;
}

/** Every layer's bytes, verified; the same blob twice is fetched once. */
export async function fetchLayers(client: RegistryClient, manifest: Manifest, limits: PullLimits): Promise<PulledLayer[]> {
  declaredTotal(manifest, limits.maxBytes);
  const budget = { used: 0, limit: limits.maxBytes };
  const blobs = new Map<string, Promise<Buffer>>();
  const queue = [...manifest.layers];
  const workers = Array.from({ length: Math.min(limits.concurrency ?? 8, queue.length) }, async () => {
    for (let layer = queue.shift(); layer !== undefined; layer = queue.shift()) {
      if (blobs.has(layer.digest)) continue;
      const pending = fetchBlob(client, layer, budget);
      blobs.set(layer.digest, pending);
      // The first failure stops every worker: nothing more is fetched.
      await pending.catch((e: unknown) => {
        queue.length = 0;
        throw e;
      });
    }
  });
  await Promise.all(workers);
  return Promise.all(manifest.layers.map(async (layer) => ({ layer, bytes: await (blobs.get(layer.digest) as Promise<Buffer>) })));
}
