/**
 * The one rule for removing secrets from a text, shared by the drivers
 * (a database message scrubbed of its URL's password, database-url.ts
 * scrubSecret) and the operator's last line (controller/secret-scrubber.ts,
 * every Secret value it read). Here, below both, so neither imports the
 * other (controller → migrate → dialects).
 *
 * Where a secret is removed (raw and URL-encoded alike):
 * - a long one (LONG_SECRET characters or more) anywhere, even glued to
 *   other text: a random string that long inside another word is no
 *   coincidence;
 * - a shorter one only where it stands on its own, never inside another
 *   word: with the password `pass`, replacing it everywhere turned MySQL's
 *   `(using password: YES)` into `(using xxxxxword: YES)` and PostgreSQL's
 *   `password authentication failed` into `xxxxxword authentication
 *   failed`, telling a reader the password. "On its own" is judged only at
 *   an edge that is a word character: `p@` cannot continue a word on its
 *   `@` side;
 * - any secret, however short, as the password of a URL (`//user:pass@`).
 * Longest first: a short secret inside a long one must not be removed
 * first, which would leave the rest of the long one printed.
 */
export const REDACTED = 'xxxxx';
/** From this length a secret is removed wherever it appears. */
export const LONG_SECRET = 8;
/** Shorter secrets are ordinary words too often ("ab"): they are only removed from a URL's password. */
export const SHORTEST_IN_TEXT = 3;
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

/** One secret out of a text, raw and URL-encoded, by the rule above (no length floor, no URL rule). */
function remove(text: string, secret: string): string {
  let out = text;
  for (const form of new Set([secret, encodeURIComponent(secret)])) {
    out = secret.length >= LONG_SECRET ? out.split(form).join(REDACTED) : out.replace(standalone(form), REDACTED);
  }
  return out;
}

/**
 * `text` without any of `isSecret`'s secrets: first every URL password that
 * is one (however short), then each of `candidates` that is long enough to
 * be told from a word, longest first.
 */
export function removeSecrets(text: string, candidates: Iterable<string>, isSecret: (value: string) => boolean): string {
  let out = text.replace(URL_PASSWORD, (whole, head: string, password: string) => (isSecret(password) || isSecret(decoded(password)) ? head + REDACTED : whole));
  const found: string[] = [];
  for (const v of candidates) if (v.length >= SHORTEST_IN_TEXT && (out.includes(v) || out.includes(encodeURIComponent(v)))) found.push(v);
  found.sort((a, b) => b.length - a.length);
  for (const v of found) out = remove(out, v);
  return out;
}
