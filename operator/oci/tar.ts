/**
 * Reads a tar archive held in memory: POSIX ustar, with PAX extended headers
 * (`path`, `linkpath`, `size`) and GNU long names (`L`, `K`), as Go's
 * archive/tar writes them (oras packs folders with it). Every header's
 * checksum is checked. Only what a directory needs comes out: each entry's
 * path, type and, for regular files, its bytes (a view, not a copy).
 */
import { formatError } from './errors';

export type TarEntryType = 'file' | 'directory' | 'link' | 'other';

export interface TarEntry {
  readonly path: string;
  readonly type: TarEntryType;
  readonly content: Buffer;
}

const BLOCK = 512;

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('utf8');
}

/** An octal field, or GNU's base-256 (high bit set) for large values. */
function number(block: Buffer, start: number, length: number, what: string): number {
  const field = block.subarray(start, start + length);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let n = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    if (!Number.isSafeInteger(n)) throw formatError(`tar: ${what} too large`);
    return n;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw formatError(`tar: invalid ${what} ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = number(block, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum === stored;
}

/** PAX records: `<length> <key>=<value>\n`, the length counting the whole record. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length) throw formatError('tar: invalid PAX header');
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

function typeOf(flag: string): TarEntryType {
  if (flag === '0' || flag === '\0' || flag === '' || flag === '7') return 'file';
  if (flag === '5') return 'directory';
  if (flag === '1' || flag === '2') return 'link';
  return 'other';
}

function isZero(block: Buffer): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

interface Pending {
  path?: string;
  size?: number;
}

const META = new Set(['x', 'g', 'L', 'K']);

/** What a metadata entry (PAX `x`, GNU `L`) says of the next entry; `g` and `K` say nothing we use. */
function applyMeta(pending: Pending, flag: string, data: Buffer): Pending {
  if (flag === 'L') return { ...pending, path: text(data, 0, data.length) };
  if (flag !== 'x') return pending;
  const pax = paxRecords(data);
  const path = pax.get('path');
  const size = pax.get('size');
  return { ...pending, ...(path === undefined ? {} : { path }), ...(size === undefined ? {} : { size: Number(size) }) };
}

/** The name of a ustar header (with its prefix field), unless a PAX or GNU entry gave a longer one. */
function pathOf(block: Buffer, pending: Pending): string {
  if (pending.path !== undefined) return pending.path;
  const magic = block.subarray(257, 263).toString('latin1');
  const prefix = magic.startsWith('ustar') ? text(block, 345, 155) : '';
  return prefix === '' ? text(block, 0, 100) : `${prefix}/${text(block, 0, 100)}`;
}

/** Every entry of the archive in order. Throws a Format OciError on a malformed archive. */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let pending: Pending = {};
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const block = archive.subarray(at, at + BLOCK);
    if (isZero(block)) break;
    if (!checksumOk(block)) throw formatError(`tar: bad header checksum at byte ${at}`);
    const flag = String.fromCharCode(block[156] ?? 0);
    const meta = META.has(flag);
    const size = meta ? number(block, 124, 12, 'size') : (pending.size ?? number(block, 124, 12, 'size'));
    const start = at + BLOCK;
    if (start + size > archive.length) throw formatError(`tar: entry at byte ${at} is cut short`);
    const data = archive.subarray(start, start + size);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
    if (meta) {
      pending = applyMeta(pending, flag, data);
      continue;
    }
    entries.push({ path: pathOf(block, pending), type: typeOf(flag), content: data });
    pending = {};
  }
  return entries;
}
