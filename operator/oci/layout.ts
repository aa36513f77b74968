/**
 * From the layers of an artifact to the files of a migration directory, the
 * way a folder on disk is read: a file layer is the file its title names; a
 * folder layer (tar+gzip to unpack) gives every regular file in it. When
 * every path starts with the same folder (`oras push ref ./migrations`, or
 * `oras push ref migrations/*.sql migrations/atlas.sum`) that folder is the
 * directory; otherwise the top level is. Files in sub-folders are not part
 * of the directory (Atlas does not read sub-folders), and which files are
 * migrations is decided as for any directory (`*.sql`, `atlas.sum`).
 */
import { gunzipSync } from 'node:zlib';
import { isMigrationFileName, SUM_FILE_NAME } from '../migrate/file-name';
import { formatError, sizeError } from './errors';
import type { Layer } from './manifest';
import { readTar } from './tar';

export interface PulledLayer {
  readonly layer: Layer;
  readonly bytes: Buffer;
}

export interface DirectoryFile {
  readonly name: string;
  readonly content: Buffer;
  /** Where it came from, for messages: `layer 3 (sha256:…)`. */
  readonly origin: string;
}

interface PathEntry {
  readonly path: string;
  readonly content: Buffer;
  readonly origin: string;
  /** A symbolic or hard link in a folder layer: never followed. */
  readonly link?: boolean;
}

export function layerLabel(layer: Layer): string {
  const title = layer.title === undefined || layer.title === '' ? '' : `${JSON.stringify(layer.title)}, `;
  return `layer ${layer.index + 1} (${title}${layer.digest})`;
}

/** `./a//b/` → `a/b`; `..` and absolute paths are refused. */
function cleanPath(path: string, where: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (path.startsWith('/') || parts.includes('..')) throw formatError(`${where}: path ${JSON.stringify(path)} leaves the directory`);
  return parts.join('/');
}

function unpack(pulled: PulledLayer, budget: { left: number; limit: number }): PathEntry[] {
  const label = layerLabel(pulled.layer);
  let archive: Buffer;
  try {
    archive = gunzipSync(pulled.bytes, { maxOutputLength: Math.max(budget.left, 1) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw sizeError(`${label} unpacks to more than the ${budget.limit}-byte limit (spec.dir.oci.maxSize)`);
    throw formatError(`${label} is marked to unpack but is not gzip: ${(e as Error).message}`, e);
  }
  budget.left -= archive.length;
  const entries: PathEntry[] = [];
  for (const entry of readTar(archive)) {
    const path = cleanPath(entry.path, label);
    if (entry.type === 'file' && path !== '') entries.push({ path, content: Buffer.from(entry.content), origin: label });
    else if (entry.type === 'link') entries.push({ path, content: Buffer.alloc(0), origin: label, link: true });
  }
  return entries;
}

function pathsOf(layers: readonly PulledLayer[], limit: number): PathEntry[] {
  const budget = { left: limit, limit };
  const entries: PathEntry[] = [];
  for (const pulled of layers) {
    const { layer } = pulled;
    if (layer.title === undefined || layer.title === '') {
      throw formatError(`${layerLabel(layer)} has no org.opencontainers.image.title annotation: not a directory pushed by oras push`);
    }
    if (layer.unpack) entries.push(...unpack(pulled, budget));
    else entries.push({ path: cleanPath(layer.title, layerLabel(layer)), content: pulled.bytes, origin: layerLabel(layer) });
  }
  return entries;
}

/** The one folder every path is in, if there is one. */
function commonFolder(entries: readonly PathEntry[]): string | undefined {
  let folder: string | undefined;
  for (const { path } of entries) {
    const slash = path.indexOf('/');
    if (slash === -1) return undefined;
    const first = path.slice(0, slash);
    if (folder !== undefined && folder !== first) return undefined;
    folder = first;
  }
  return folder;
}

/** The directory's files (top level only), each once. */
export function directoryFiles(layers: readonly PulledLayer[], limit: number): DirectoryFile[] {
  const entries = pathsOf(layers, limit);
  const folder = commonFolder(entries);
  const strip = folder === undefined ? 0 : folder.length + 1;
  const files = new Map<string, DirectoryFile>();
  const folders = new Set<string>();
  for (const e of entries) {
    const name = e.path.slice(strip);
    if (name.includes('/')) {
      folders.add(name.slice(0, name.indexOf('/')));
      continue;
    }
    if (e.link === true) {
      if (isMigrationFileName(name) || name === SUM_FILE_NAME) throw formatError(`${JSON.stringify(name)} in ${e.origin} is a link; push the file itself`);
      continue;
    }
    const before = files.get(name);
    if (before !== undefined) throw formatError(`file ${JSON.stringify(name)} is in both ${before.origin} and ${e.origin}`);
    files.set(name, { name, content: e.content, origin: e.origin });
  }
  if (files.size === 0 && folders.size > 0) {
    throw formatError(`no file at the top of the artifact, only folders (${[...folders].slice(0, 5).join(', ')}); push one folder (oras push <ref> ./migrations) or the files themselves`);
  }
  return [...files.values()];
}
