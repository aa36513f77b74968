/**
 * Go's `%q` rendering, used where Atlas quotes names or delimiters in its
 * messages (`strconv.Quote` for strings, `strconv.QuoteRune` for runes).
 * Keeping the same quoting keeps our messages identical to Atlas's.
 */

import { runeWidthAt } from './binary-text';

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
};

function escapeChar(ch: string, quote: string): string {
  if (ch === quote) return '\\' + ch;
  const named = NAMED_ESCAPES[ch];
  if (named !== undefined) return named;
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return '\\x' + code.toString(16).padStart(2, '0');
  if (code === 0xfffd) return '\\ufffd';
  // Other non-printable runes (C1 controls, format characters) use \u escapes.
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(ch) || (/\p{Z}/u.test(ch) && ch !== ' ')) {
    return code > 0xffff ? '\\U' + code.toString(16).padStart(8, '0') : '\\u' + code.toString(16).padStart(4, '0');
  }
  return ch;
}

/**
 * Go `strconv.Quote` for binary text (one char per byte): valid UTF-8 runes
 * are quoted as runes, every byte of an invalid sequence as `\xNN`.
 */
export function goQuoteBytes(binary: string): string {
  let out = '"';
  for (let i = 0; i < binary.length; ) {
    const width = runeWidthAt(binary, i);
    const chunk = binary.slice(i, i + width);
    const code = chunk.charCodeAt(0);
    if (width === 1 && code >= 0x80) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += escapeChar(Buffer.from(chunk, 'latin1').toString('utf8'), '"');
    i += width;
  }
  return out + '"';
}

/** Go `strconv.Quote` for a (decoded) string. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) out += escapeChar(ch, '"');
  return out + '"';
}

/** Go `strconv.QuoteRune` for a single character. */
export function goQuoteRune(ch: string): string {
  return "'" + escapeChar(ch, "'") + "'";
}
