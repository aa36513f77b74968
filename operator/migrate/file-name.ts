/**
 * Migration file names, as Atlas reads them: only top-level names ending in
 * `.sql` (case-sensitive) are migrations; the version is the part before the
 * first `_` and the description the part after it.
 */

export const SUM_FILE_NAME = 'atlas.sum';

export function isMigrationFileName(name: string): boolean {
  return name.endsWith('.sql');
}

export interface ParsedFileName {
  readonly version: string;
  readonly description: string;
}

export function parseMigrationFileName(name: string): ParsedFileName {
  const stem = name.endsWith('.sql') ? name.slice(0, -'.sql'.length) : name;
  const underscore = stem.indexOf('_');
  if (underscore === -1) return { version: stem, description: '' };
  // Atlas splits the full name (not the stem) for the description, then drops
  // one ".sql"; both agree because the first "_" lies inside the stem.
  return { version: stem.slice(0, underscore), description: stem.slice(underscore + 1) };
}

/**
 * Compares two strings by their UTF-8 bytes, the order Go uses for file names
 * and versions. UTF-16 order differs only where a surrogate pair meets a code
 * unit at or above U+E000, so those are swapped.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (xs ? y >= 0xe000 : x >= 0xe000)) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
