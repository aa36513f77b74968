/**
 * A migration directory from any source: a folder on disk, a ConfigMap's
 * `data`, an inline `dir.local` map. Whatever the source, the files are the
 * top-level `*.sql` names in byte-wise order, exactly as Atlas lists them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryReadError, InvalidFileNameError } from './errors';
import { compareUtf8, isMigrationFileName, SUM_FILE_NAME } from './file-name';
import { MigrationFile } from './migration-file';
import { computeSum, type SumFile, validateSum } from './sum';

export interface DuplicateVersion {
  readonly version: string;
  readonly files: readonly string[];
}

export class MigrationDirectory {
  readonly files: readonly MigrationFile[];
  private sum: SumFile | undefined;

  /**
   * @param files migration files in any order; they are sorted here.
   * @param sumContent the bytes of `atlas.sum`, undefined when there is none.
   * @param source where the directory came from, for messages (a path, `configmap/ns/name`).
   */
  constructor(
    files: readonly MigrationFile[],
    readonly sumContent: Buffer | undefined,
    readonly source: string,
  ) {
    this.files = [...files].sort((a, b) => compareUtf8(a.name, b.name));
  }

  /** The `atlas.sum` this directory should have. */
  computedSum(): SumFile {
    this.sum ??= computeSum(this.files);
    return this.sum;
  }

  /** Throws the checksum error Atlas would (not found, format invalid, mismatch with line and reason). */
  validate(): void {
    validateSum(this.files, this.sumContent, this.computedSum());
  }

  /** Files that are not checkpoints: the ones a database with history walks through. */
  migrations(): MigrationFile[] {
    return this.files.filter((f) => !f.isCheckpoint);
  }

  /** What a fresh database runs: the last checkpoint and every file after it, or every file. */
  filesFromLastCheckpoint(): MigrationFile[] {
    for (let i = this.files.length - 1; i >= 0; i--) {
      if (this.files[i]?.isCheckpoint === true) return this.files.slice(i);
    }
    return [...this.files];
  }

  /** Versions used by more than one file. Atlas accepts them; we report them so people notice. */
  duplicateVersions(): DuplicateVersion[] {
    const byVersion = new Map<string, string[]>();
    for (const f of this.files) {
      const names = byVersion.get(f.version);
      if (names === undefined) byVersion.set(f.version, [f.name]);
      else names.push(f.name);
    }
    return [...byVersion].filter(([, names]) => names.length > 1).map(([version, files]) => ({ version, files }));
  }
}

function toBuffer(content: string | Uint8Array): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
}

/**
 * A directory from name → content pairs (a ConfigMap's `data`/`binaryData`,
 * `dir.local`). Names must be plain file names: a `/` would make a
 * sub-directory, which Atlas never reads.
 */
export function directoryFromEntries(entries: Iterable<readonly [string, string | Uint8Array]>, source: string): MigrationDirectory {
  const files: MigrationFile[] = [];
  let sum: Buffer | undefined;
  for (const [name, content] of entries) {
    if (name.includes('/')) throw new InvalidFileNameError(name, 'file names in a migration directory cannot contain "/"');
    if (name === SUM_FILE_NAME) sum = toBuffer(content);
    else if (isMigrationFileName(name)) files.push(new MigrationFile(name, toBuffer(content)));
  }
  return new MigrationDirectory(files, sum, source);
}

function errorDetail(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DirectoryReadError(SUM_FILE_NAME, errorDetail(e), { cause: e });
  }
}

function readMigration(path: string, name: string): MigrationFile {
  const full = join(path, name);
  try {
    return new MigrationFile(name, readFileSync(full));
  } catch (e) {
    // A folder named "x.sql" fails the read, as it does in Atlas.
    const isDir = statSync(full, { throwIfNoEntry: false })?.isDirectory() === true;
    throw new DirectoryReadError(name, isDir ? 'is a directory' : errorDetail(e), { cause: e });
  }
}

/**
 * Reads the top level of a folder: every `*.sql` file (dot-files included)
 * and `atlas.sum`. Synchronous on purpose: for thousands of small files,
 * plain reads are 5-8x faster than fs.promises (measured: ~70 ms against
 * ~450 ms for 10,000 files). Folders are read by the CLI and tests; the
 * operator builds directories from ConfigMaps in memory.
 */
export function readDirectoryFolder(path: string): MigrationDirectory {
  let names: Buffer[];
  try {
    names = readdirSync(path, { encoding: 'buffer' });
  } catch (e) {
    throw new DirectoryReadError('.', `${path}: ${errorDetail(e)}`, { cause: e });
  }
  const files: MigrationFile[] = [];
  for (const raw of names) {
    const name = raw.toString('utf8');
    if (!isMigrationFileName(name)) continue;
    if (!Buffer.from(name, 'utf8').equals(raw)) throw new InvalidFileNameError(name, 'file name is not valid UTF-8');
    files.push(readMigration(path, name));
  }
  return new MigrationDirectory(files, readOptional(join(path, SUM_FILE_NAME)), path);
}
