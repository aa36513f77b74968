/**
 * Manifests as `oras push` writes them: an OCI image manifest (or a Docker
 * v2 one) whose layers are the pushed files, each named by its
 * `org.opencontainers.image.title` annotation; a pushed folder is one
 * tar+gzip layer marked `io.deis.oras.content.unpack: "true"`. An index
 * (several platforms) is refused: a migration directory has one manifest.
 */
import { formatError } from './errors';

export const MEDIA_TYPES = Object.freeze({
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
});

/** What a manifest request accepts: manifests, and indexes only to name them in the error. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList].join(', ');

export const TITLE_ANNOTATION = 'org.opencontainers.image.title';
export const UNPACK_ANNOTATION = 'io.deis.oras.content.unpack';

/** Manifests larger than this are refused (containerd's and distribution's limit). */
export const MANIFEST_LIMIT = 4 * 1024 * 1024;

export interface Layer {
  readonly index: number;
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  /** The file or folder name oras gave it. */
  readonly title: string | undefined;
  /** A folder: tar+gzip to unpack. */
  readonly unpack: boolean;
}

export interface Manifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType: string | undefined;
  readonly layers: readonly Layer[];
}

const BLOB_DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

function describe(i: number, d: Record<string, unknown>): string {
  return `layer ${i + 1}${typeof d.digest === 'string' ? ` (${d.digest})` : ''}`;
}

function layerOf(raw: unknown, i: number): Layer {
  if (raw === null || typeof raw !== 'object') throw formatError(`layer ${i + 1} is not an object`);
  const d = raw as Record<string, unknown>;
  if (typeof d.digest !== 'string' || !BLOB_DIGEST.test(d.digest)) throw formatError(`${describe(i, d)}: invalid digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw formatError(`${describe(i, d)}: invalid size`);
  const annotations = (d.annotations ?? {}) as Record<string, unknown>;
  const title = typeof annotations[TITLE_ANNOTATION] === 'string' ? annotations[TITLE_ANNOTATION] : undefined;
  return { index: i, mediaType: typeof d.mediaType === 'string' ? d.mediaType : '', digest: d.digest, size: d.size, title, unpack: annotations[UNPACK_ANNOTATION] === 'true' };
}

function jsonObject(bytes: Buffer, digest: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw formatError(`manifest ${digest} is not JSON: ${(e as Error).message}`, e);
  }
  if (parsed === null || typeof parsed !== 'object') throw formatError(`manifest ${digest} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/** The media type a manifest says it has, else the one its answer said. */
function mediaTypeOf(m: Record<string, unknown>, contentType: string | undefined): string {
  return typeof m.mediaType === 'string' ? m.mediaType : (contentType?.split(';')[0]?.trim() ?? '');
}

/** Throws unless this is a single image manifest (OCI or Docker v2). */
function checkKind(m: Record<string, unknown>, mediaType: string, digest: string): void {
  if (mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerList || (Array.isArray(m.manifests) && !Array.isArray(m.layers))) {
    throw formatError(`${digest} is an image index (${mediaType || 'manifests list'}), not a single artifact; push the directory with oras push (one manifest) or reference one of its manifests by digest`);
  }
  if (mediaType !== '' && mediaType !== MEDIA_TYPES.ociManifest && mediaType !== MEDIA_TYPES.dockerManifest) {
    throw formatError(`manifest ${digest} has media type ${mediaType}; expected ${MEDIA_TYPES.ociManifest} (what oras push writes)`);
  }
  if (m.schemaVersion !== 2) throw formatError(`manifest ${digest}: schemaVersion ${String(m.schemaVersion)}, expected 2`);
}

/** Parses and checks a manifest's JSON; `contentType` is the answer's Content-Type. */
export function parseManifest(bytes: Buffer, digest: string, contentType: string | undefined): Manifest {
  const m = jsonObject(bytes, digest);
  const mediaType = mediaTypeOf(m, contentType);
  checkKind(m, mediaType, digest);
  if (!Array.isArray(m.layers)) throw formatError(`manifest ${digest} has no layers`);
  const artifactType = typeof m.artifactType === 'string' ? m.artifactType : undefined;
  return { digest, mediaType: mediaType || MEDIA_TYPES.ociManifest, artifactType, layers: m.layers.map(layerOf) };
}
