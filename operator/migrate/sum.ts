/**
 * `atlas.sum`: computing, writing, parsing and validating it with Atlas's
 * exact semantics, so that a directory hashed by either tool validates in
 * the other and the file is byte-identical.
 *
 * Hash chain: one SHA-256 state for the whole directory, never reset. Each
 * file's name and then its bytes are absorbed; the file's entry is the
 * digest of the state so far. A file whose first line says `atlas:sum
 * ignore` contributes its name only and gets no entry.
 */
import { createHash } from 'node:crypto';
import { binaryToUtf8, bytesToBinary, trimSpace } from './binary-text';
import { ChecksumFormatError, ChecksumMismatchError, ChecksumNotFoundError } from './errors';
import type { MigrationFile } from './migration-file';

export interface SumEntry {
  readonly name: string;
  /** Base64 SHA-256, without the `h1:` prefix. */
  readonly hash: string;
}

/** The hash (without `h1:`) of an `atlas.sum` with these entries. */
function totalOf(entries: readonly SumEntry[]): string {
  const sha = createHash('sha256');
  for (const e of entries) {
    sha.update(e.name, 'utf8');
    sha.update(e.hash, 'utf8');
  }
  return sha.digest('base64');
}

export class SumFile {
  private totalHash: string | undefined;
  private byName: Map<string, string> | undefined;

  constructor(readonly entries: readonly SumEntry[]) {}

  get total(): string {
    this.totalHash ??= totalOf(this.entries);
    return this.totalHash;
  }

  /** The entry hash (without `h1:`) for a file, or undefined if it has none (for example `atlas:sum ignore`). */
  hashOf(name: string): string | undefined {
    this.byName ??= new Map(this.entries.map((e) => [e.name, e.hash]));
    return this.byName.get(name);
  }

  /** The file's text: `h1:<total>` then one `<name> h1:<hash>` line per entry, `\n` line ends. */
  format(): string {
    let out = `h1:${this.total}\n`;
    for (const e of this.entries) out += `${e.name} h1:${e.hash}\n`;
    return out;
  }
}

export function computeSum(files: readonly MigrationFile[]): SumFile {
  const state = createHash('sha256');
  const entries: SumEntry[] = [];
  for (const file of files) {
    state.update(file.name, 'utf8');
    if (file.sumIgnored) continue;
    state.update(file.bytes);
    // copy() digests the running state without finalising it.
    entries.push({ name: file.name, hash: state.copy().digest('base64') });
  }
  return new SumFile(entries);
}

/** Lines as Go's bufio.Scanner yields them: split on `\n`, one trailing `\r` dropped, no final empty line. */
function scanLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * Parses an `atlas.sum`. Throws ChecksumFormatError for a line without
 * `h1:` and a bare ChecksumMismatchError when the recorded total does not
 * match the recorded entries.
 */
export function parseSum(content: Uint8Array): SumFile {
  // Parse as binary text so the recorded total is checked over the exact bytes.
  const lines = scanLines(bytesToBinary(content));
  const recordedTotal = (lines[0] ?? '').replace(/^h1:/, '');
  const raw: SumEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const at = line.indexOf('h1:');
    if (at === -1) throw new ChecksumFormatError(i + 1);
    raw.push({ name: trimSpace(line.slice(0, at)), hash: line.slice(at + 3) });
  }
  const binaryTotal = createHash('sha256');
  for (const e of raw) binaryTotal.update(e.name + e.hash, 'latin1');
  if (binaryTotal.digest('base64') !== recordedTotal) throw new ChecksumMismatchError();
  return new SumFile(raw.map((e) => ({ name: binaryToUtf8(e.name), hash: binaryToUtf8(e.hash) })));
}

/**
 * Checks a directory against its `atlas.sum` as Atlas's `Validate` does.
 * `sumContent` is undefined when the directory has no `atlas.sum`, which is
 * fine only for a directory without migration files.
 */
export function validateSum(files: readonly MigrationFile[], sumContent: Uint8Array | undefined, computed = computeSum(files)): void {
  if (sumContent === undefined) {
    if (files.length > 0) throw new ChecksumNotFoundError();
    return;
  }
  const recorded = parseSum(sumContent);
  if (recorded.total !== computed.total) throw firstMismatch(recorded.entries, computed.entries);
}

/** Walks the recorded entries to the first one that differs and says why, as Atlas does. */
function firstMismatch(recorded: readonly SumEntry[], expected: readonly SumEntry[]): ChecksumMismatchError {
  for (const [i, entry] of recorded.entries()) {
    const ex = expected[i];
    if (ex !== undefined && ex.name === entry.name && ex.hash === entry.hash) continue;
    const line = i + 2; // line 1 holds the total
    const at = expected.findIndex((e) => e.name === entry.name);
    if (at < 0) return new ChecksumMismatchError({ line, file: entry.name, reason: 'removed' });
    if (at === i) return new ChecksumMismatchError({ line, file: entry.name, reason: 'edited' });
    // The recorded file moved down: something was added in front of it.
    return new ChecksumMismatchError({ line, file: ex?.name ?? entry.name, reason: 'added' });
  }
  const added = expected[recorded.length];
  return new ChecksumMismatchError({ line: recorded.length + 2, file: added?.name ?? '', reason: 'added' });
}
