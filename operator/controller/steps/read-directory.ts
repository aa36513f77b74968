/**
 * Step 3: the migration directory, from one ConfigMap (`configMapRef`),
 * several (`configMapRefs`; a `binaryData` key `<file>.gz` holds a gzipped
 * file), inline (`local`) or an OCI registry (`oci`, read-oci.ts), with
 * atlas.sum verified before anything connects. A mismatch names the file,
 * the atlas.sum line and the object that holds it.
 */
import { gunzipSync } from 'node:zlib';
import type { AtlasMigrationSpec } from '../../api/generated/atlasmigration-types';
import { Reason } from '../../api/reasons';
import { directoryFromEntries, type MigrationDirectory } from '../../migrate/directory';
import { ChecksumMismatchError, MigrateError } from '../../migrate/errors';
import { SUM_FILE_NAME } from '../../migrate/file-name';
import { apiFailureKind } from './api-failure';
import type { ConfigMapObject, ObjectReader } from './object-reader';
import { type OciAccess, readOci } from './read-oci';
import { StepError } from './step-error';

export interface ReadDirectory {
  readonly directory: MigrationDirectory;
  /** Where each file came from (`ConfigMap ns/name`, `spec.dir.local`). */
  readonly origin: ReadonlyMap<string, string>;
  /** `spec.dir.oci`: the manifest digest read. */
  readonly digest?: string;
  /** `spec.dir.oci` by tag: whether the tag names another manifest now. */
  readonly moved?: () => Promise<boolean>;
  /** Values read from Secrets for the directory (a registry password). */
  readonly secrets: readonly string[];
}

function failed(message: string, cause?: unknown, kind: 'permanent' | 'transient' = 'permanent'): StepError {
  return new StepError(Reason.ReadingMigrationData, kind, message, cause === undefined ? undefined : { cause });
}

/** A ConfigMap's files: `data` as text, `binaryData` as bytes, `<file>.gz` unzipped. */
function filesOf(cm: ConfigMapObject, label: string): [string, string | Buffer][] {
  const files: [string, string | Buffer][] = Object.entries(cm.data ?? {});
  for (const [key, b64] of Object.entries(cm.binaryData ?? {})) {
    const bytes = Buffer.from(b64, 'base64');
    if (!key.endsWith('.gz')) {
      files.push([key, bytes]);
      continue;
    }
    try {
      files.push([key.slice(0, -3), gunzipSync(bytes)]);
    } catch (e) {
      throw failed(`${label}: binaryData ${JSON.stringify(key)} is not valid gzip: ${(e as Error).message}`, e);
    }
  }
  return files;
}

async function readConfigMap(reader: ObjectReader, namespace: string, name: string): Promise<ConfigMapObject> {
  let cm: ConfigMapObject | undefined;
  try {
    cm = await reader.configMap(namespace, name);
  } catch (e) {
    throw failed(`reading ConfigMap ${namespace}/${name}: ${(e as Error).message}`, e, apiFailureKind(e));
  }
  if (cm === undefined) throw failed(`ConfigMap ${JSON.stringify(name)} not found in namespace ${JSON.stringify(namespace)} (spec.dir)`);
  return cm;
}

function collect(sources: readonly { label: string; files: [string, string | Buffer][] }[]): { entries: [string, string | Buffer][]; origin: Map<string, string> } {
  const origin = new Map<string, string>();
  const entries: [string, string | Buffer][] = [];
  for (const { label, files } of sources) {
    for (const [name, content] of files) {
      const before = origin.get(name);
      if (before !== undefined) throw failed(`file ${JSON.stringify(name)} appears in both ${before} and ${label}; a file may be in only one ConfigMap`);
      origin.set(name, label);
      entries.push([name, content]);
    }
  }
  return { entries, origin };
}

async function sources(dir: AtlasMigrationSpec['dir'], namespace: string, reader: ObjectReader): Promise<{ label: string; files: [string, string | Buffer][] }[]> {
  if (dir.local !== undefined) {
    const files = Object.entries(dir.local).filter((e): e is [string, string] => e[1] !== undefined);
    return [{ label: 'spec.dir.local', files }];
  }
  const names = dir.configMapRef !== undefined ? [dir.configMapRef.name] : (dir.configMapRefs ?? []).map((r) => r.name);
  if (names.length === 0) throw failed('no directory specified: set spec.dir.configMapRef, configMapRefs, local or oci');
  const maps = await Promise.all(names.map((n) => readConfigMap(reader, namespace, n)));
  return maps.map((cm, i) => {
    const label = `ConfigMap ${namespace}/${names[i] ?? ''}`;
    return { label, files: filesOf(cm, label) };
  });
}

function checksumMessage(e: ChecksumMismatchError, origin: ReadonlyMap<string, string>): string {
  const where = origin.get(SUM_FILE_NAME) ?? 'the directory';
  const detail = e.describe();
  const fileOrigin = e.detail === undefined ? undefined : origin.get(e.detail.file);
  const at = detail === undefined ? '' : `: ${detail} (atlas.sum line ${e.detail?.line ?? 0} in ${where}${fileOrigin === undefined || fileOrigin === where ? '' : `; the file is in ${fileOrigin}`})`;
  return `checksum mismatch${at}; re-hash the directory ('atlas migrate hash' or 'atlas-k8s-migrator migrate hash') and update ${where}`;
}

function validated(entries: [string, string | Buffer][], origin: ReadonlyMap<string, string>, label: string): MigrationDirectory {
  try {
    const directory = directoryFromEntries(entries, label);
    directory.validate();
    return directory;
  } catch (e) {
    if (e instanceof ChecksumMismatchError) throw failed(checksumMessage(e, origin), e);
    if (e instanceof MigrateError) throw failed(`${label}: ${e.message}`, e);
    throw e;
  }
}

export async function readDirectory(spec: AtlasMigrationSpec, namespace: string, reader: ObjectReader, oci?: OciAccess): Promise<ReadDirectory> {
  if (spec.dir.oci !== undefined) {
    if (oci === undefined) throw failed('spec.dir.oci: this process has no registry client');
    const read = await readOci(spec.dir.oci, namespace, reader, oci);
    const directory = validated(read.entries, new Map([[SUM_FILE_NAME, read.label], ...read.origin]), read.label);
    return { directory, origin: read.origin, digest: read.digest, secrets: read.secrets, ...(read.moved === undefined ? {} : { moved: read.moved }) };
  }
  const { entries, origin } = collect(await sources(spec.dir, namespace, reader));
  const label = spec.dir.local !== undefined ? 'spec.dir.local' : `ConfigMap ${namespace}/${spec.dir.configMapRef?.name ?? (spec.dir.configMapRefs ?? []).map((r) => r.name).join('+')}`;
  return { directory: validated(entries, origin, label), origin, secrets: [] };
}
