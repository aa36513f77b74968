/**
 * "Binary text": a JavaScript string holding one character per byte (latin1).
 *
 * Atlas works on Go strings, which are byte sequences that may hold invalid
 * UTF-8. Hashes (`atlas.sum`, `partial_hashes`) are computed over those exact
 * bytes, so the engine scans file contents as binary text and converts to real
 * UTF-8 strings only for display and execution. These helpers reproduce the
 * few Go behaviours that depend on rune decoding: rune width
 * (`utf8.DecodeRuneInString`) and Unicode white space (`unicode.IsSpace`,
 * `strings.TrimSpace`).
 */

export function bytesToBinary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function binaryToBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Decodes binary text as UTF-8; invalid sequences become U+FFFD. */
export function binaryToUtf8(text: string): string {
  // Pure ASCII is identical in both encodings; skip the copy.
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return Buffer.from(text, 'latin1').toString('utf8');
}

export function utf8ToBinary(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * For a leading byte: the sequence width and the allowed range of the second
 * byte (the Unicode table of well-formed UTF-8; later bytes are 80..BF).
 */
function leadingByteRule(b0: number): readonly [width: number, lo: number, hi: number] | undefined {
  if (b0 >= 0xc2 && b0 <= 0xdf) return [2, 0x80, 0xbf];
  if (b0 === 0xe0) return [3, 0xa0, 0xbf];
  if (b0 === 0xed) return [3, 0x80, 0x9f];
  if (b0 >= 0xe1 && b0 <= 0xef) return [3, 0x80, 0xbf];
  if (b0 === 0xf0) return [4, 0x90, 0xbf];
  if (b0 === 0xf4) return [4, 0x80, 0x8f];
  if (b0 >= 0xf1 && b0 <= 0xf3) return [4, 0x80, 0xbf];
  return undefined;
}

/**
 * Width in bytes of the rune starting at `i`, as Go's UTF-8 decoder sees it:
 * a valid sequence has its full width, anything invalid has width 1.
 * Returns 0 at the end of the text.
 */
export function runeWidthAt(text: string, i: number): number {
  if (i >= text.length) return 0;
  const rule = leadingByteRule(text.charCodeAt(i));
  if (rule === undefined) return 1;
  const [width, lo, hi] = rule;
  const b1 = text.charCodeAt(i + 1);
  if (!(b1 >= lo && b1 <= hi)) return 1;
  for (let k = 2; k < width; k++) {
    const b = text.charCodeAt(i + k);
    if (!(b >= 0x80 && b <= 0xbf)) return 1;
  }
  return width;
}

// UTF-8 encodings of the non-ASCII runes for which Go's unicode.IsSpace is true.
const WIDE_SPACES: readonly string[] = [
  '\xc2\x85',
  '\xc2\xa0',
  '\xe1\x9a\x80',
  ...Array.from({ length: 11 }, (_, k) => '\xe2\x80' + String.fromCharCode(0x80 + k)),
  '\xe2\x80\xa8',
  '\xe2\x80\xa9',
  '\xe2\x80\xaf',
  '\xe2\x81\x9f',
  '\xe3\x80\x80',
];

function isAsciiSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** Byte width of the white-space rune starting at `i`, or 0 if there is none. */
export function spaceWidthAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (Number.isNaN(c)) return 0;
  if (c < 0x80) return isAsciiSpace(c) ? 1 : 0;
  if (c !== 0xc2 && c !== 0xe1 && c !== 0xe2 && c !== 0xe3) return 0;
  for (const s of WIDE_SPACES) {
    if (text.startsWith(s, i)) return s.length;
  }
  return 0;
}

/** Byte width of a white-space rune that ends right before `end`, or 0. */
function spaceWidthBefore(text: string, start: number, end: number): number {
  const c = text.charCodeAt(end - 1);
  if (c < 0x80) return isAsciiSpace(c) ? 1 : 0;
  for (const s of WIDE_SPACES) {
    if (end - s.length >= start && text.startsWith(s, end - s.length)) return s.length;
  }
  return 0;
}

/** Index of the first non-space rune at or after `start` (Go strings.TrimLeftFunc(unicode.IsSpace)). */
export function skipSpaceForward(text: string, start: number, end = text.length): number {
  let i = start;
  while (i < end) {
    const w = spaceWidthAt(text, i);
    if (w === 0 || i + w > end) break;
    i += w;
  }
  return i;
}

/** Bounds of `text[start, end)` with Unicode white space trimmed on both sides (Go strings.TrimSpace). */
export function trimSpaceBounds(text: string, start: number, end: number): [number, number] {
  const a = skipSpaceForward(text, start, end);
  let b = end;
  while (b > a) {
    const w = spaceWidthBefore(text, a, b);
    if (w === 0) break;
    b -= w;
  }
  return [a, b];
}

export function trimSpace(text: string): string {
  const [a, b] = trimSpaceBounds(text, 0, text.length);
  return text.slice(a, b);
}
