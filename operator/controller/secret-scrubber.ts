/**
 * Every value the operator read from a Secret or a URL's password, kept
 * out of everything a person sees: logs, events, status messages. Driver
 * and engine messages are already redacted at the source; this is the last
 * line, for texts that quote a value in an unexpected place.
 *
 * Where a value is removed (raw and URL-encoded alike):
 * - a long value (LONG characters or more) anywhere, even glued to other
 *   text: a random string that long inside another word is no coincidence;
 * - a shorter one only where it stands on its own, never inside another
 *   word: with the password `pass`, MySQL's `(using password: YES)` stays
 *   readable. "On its own" is judged only at an edge that is a word
 *   character: `p@` cannot continue a word on its `@` side;
 * - any value, however short, as the password of a URL (`//user:pass@`).
 */
const REMEMBERED = 2000;
/** From this length a value is removed wherever it appears. */
const LONG = 8;
/** Shorter values are ordinary words too often ("ab"): they are only removed from a URL's password. */
const SHORTEST_IN_TEXT = 3;
const REDACTED = 'xxxxx';
/** A character that continues a word: letters and digits of any script, their marks, `_`. */
const WORD_CHAR = '[\\p{L}\\p{N}\\p{M}_]';
const IS_WORD_CHAR = new RegExp(`^${WORD_CHAR}$`, 'u');
/** `//user:password@`: group 1 up to the colon, group 2 the password (percent-encoded when the URL is well formed). */
const URL_PASSWORD = /(\/\/[^\s/?#@:]*:)([^\s/?#@]+)(?=@)/g;

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray `%`: not encoded
  }
}

/** `form` wherever it does not continue a word at an edge that is a word character. */
function standalone(form: string): RegExp {
  const chars = [...form];
  const before = IS_WORD_CHAR.test(chars[0] ?? '') ? `(?<!${WORD_CHAR})` : '';
  const after = IS_WORD_CHAR.test(chars[chars.length - 1] ?? '') ? `(?!${WORD_CHAR})` : '';
  return new RegExp(before + escapeRegExp(form) + after, 'gu');
}

function remove(text: string, secret: string): string {
  let out = text;
  for (const form of new Set([secret, encodeURIComponent(secret)])) {
    out = secret.length >= LONG ? out.split(form).join(REDACTED) : out.replace(standalone(form), REDACTED);
  }
  return out;
}

export class SecretScrubber {
  /** In insertion order, oldest first (a Set keeps it): the oldest is forgotten first. */
  private readonly values = new Set<string>();

  add(values: readonly string[]): void {
    for (const v of values) {
      if (v === '') continue;
      // Re-adding moves a value to the newest end: values still in use are never the ones forgotten.
      this.values.delete(v);
      if (this.values.size >= REMEMBERED) this.values.delete(this.values.values().next().value as string);
      this.values.add(v);
    }
  }

  scrub(text: string): string {
    let out = text.replace(URL_PASSWORD, (whole, head: string, password: string) => (this.values.has(password) || this.values.has(decoded(password)) ? head + REDACTED : whole));
    const found: string[] = [];
    for (const v of this.values) if (v.length >= SHORTEST_IN_TEXT && (out.includes(v) || out.includes(encodeURIComponent(v)))) found.push(v);
    // Longest first: a short value inside a long one must not be removed first, which would leave the rest of the long one printed.
    found.sort((a, b) => b.length - a.length);
    for (const v of found) out = remove(out, v);
    return out;
  }
}
