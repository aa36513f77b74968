/**
 * Writes a container image as an OCI image layout (a folder) and an OCI
 * archive (that folder as a tar), with no daemon and no registry: each layer
 * is a deterministic tar of a staging folder, gzipped, and the config,
 * manifest and index are JSON addressed by SHA-256. The same inputs give the
 * same bytes, so the same digest: names are sorted, times, owners and
 * gzip headers fixed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One layer: the contents of `dir` (its entries become the image's top-level paths). */
export interface LayerSource {
  readonly dir: string;
  /** Paths (relative to `dir`) owned by another user and group than root, e.g. { 'var/lib/mysql': 999 }. */
  readonly owners?: Readonly<Record<string, number>>;
  /** What made it, for the image's history. */
  readonly createdBy: string;
}

/** The runtime settings of the OCI image config (the fields Docker's `config` holds). */
export interface RuntimeConfig {
  readonly User: string;
  readonly Entrypoint: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Env: readonly string[];
  readonly WorkingDir: string;
  readonly ExposedPorts?: Readonly<Record<string, Record<string, never>>>;
  readonly Labels?: Readonly<Record<string, string>>;
}

export interface ImageSpec {
  /** Full reference, e.g. docker.io/library/mysql:latest. */
  readonly name: string;
  readonly layers: readonly LayerSource[];
  readonly config: RuntimeConfig;
}

export interface WrittenImage {
  readonly name: string;
  /** Folder holding the OCI image layout. */
  readonly layout: string;
  /** The layout as one tar (what `ctr images import` and `crane push` take). */
  readonly archive: string;
  /** Digest of the manifest: the image's identity. */
  readonly digest: string;
  /** Bytes of all compressed layers plus config and manifest. */
  readonly size: number;
}

/** Fixed time for every entry and the config: reproducible builds ignore the clock. */
const EPOCH = 0;
const CREATED = new Date(EPOCH * 1000).toISOString().replace('.000Z', 'Z');

/** Node's names for CPU architectures, in OCI's words (the binaries in the image are this machine's). */
const OCI_ARCHITECTURE: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le' };

interface Blob {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** Everything root's, then the given paths their owner's: ownership never depends on who unpacked what. */
function setOwners(dir: string, owners: Readonly<Record<string, number>> = {}): void {
  execFileSync('chown', ['-R', '-h', '0:0', dir]);
  for (const [path, id] of Object.entries(owners)) execFileSync('chown', ['-h', `${id}:${id}`, join(dir, path)]);
}

/** A tar of `dir`'s entries that depends only on their names, contents, modes and numeric owners. */
export function deterministicTar(dir: string): Buffer {
  const entries = readdirSync(dir).sort();
  if (entries.length === 0) throw new Error(`image layer ${dir} is empty`);
  return execFileSync(
    'tar',
    ['--sort=name', `--mtime=@${EPOCH}`, '--numeric-owner', '--format=posix',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', '-C', dir, '-cf', '-', '--', ...entries],
    { maxBuffer: 2 ** 31 },
  );
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function writeBlob(layout: string, mediaType: string, data: Buffer): Blob {
  const digest = sha256(data);
  writeFileSync(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)), data);
  return { mediaType, digest, size: data.length };
}

/** Writes the image under `outDir` as `<file>.oci/` (layout) and `<file>.oci.tar` (archive). */
export function writeImage(spec: ImageSpec, outDir: string, file: string): WrittenImage {
  const layout = join(outDir, `${file}.oci`);
  rmSync(layout, { recursive: true, force: true });
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const layers: Blob[] = [];
  const diffIds: string[] = [];
  for (const layer of spec.layers) {
    setOwners(layer.dir, layer.owners);
    const tar = deterministicTar(layer.dir);
    diffIds.push(sha256(tar));
    // Node's gzip writes no name and a zero mtime in its header.
    layers.push(writeBlob(layout, 'application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(tar, { level: 6 })));
  }
  const config = {
    created: CREATED,
    architecture: OCI_ARCHITECTURE[process.arch] ?? process.arch,
    os: 'linux',
    config: spec.config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: spec.layers.map((l) => ({ created: CREATED, created_by: l.createdBy })),
  };
  const configBlob = writeBlob(layout, 'application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify(config)));
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configBlob, layers };
  const manifestBlob = writeBlob(layout, 'application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify(manifest)));
  const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...manifestBlob, annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': tag } }],
  };
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const archive = join(outDir, `${file}.oci.tar`);
  mkdirSync(dirname(archive), { recursive: true });
  execFileSync('chmod', ['-R', 'u+rwX,go+rX,go-w', layout]); // blob modes independent of the umask
  setOwners(layout);
  writeFileSync(archive, deterministicTar(layout));
  const size = configBlob.size + manifestBlob.size + layers.reduce((n, l) => n + l.size, 0);
  return { name: spec.name, layout, archive, digest: manifestBlob.digest, size };
}
