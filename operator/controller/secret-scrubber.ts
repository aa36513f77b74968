/**
 * Every value the operator read from a Secret or a URL's password, kept
 * out of everything a person sees: logs, events, status messages. Driver
 * and engine messages are already redacted at the source; this is the last
 * line, for texts that quote a value in an unexpected place.
 *
 * Where a value is removed (raw and URL-encoded alike):
 * - a long value (8 characters or more) anywhere, even glued to other
 *   text: a random string that long inside another word is no coincidence;
 * - a shorter one only where it stands on its own, never inside another
 *   word: with the password `pass`, MySQL's `(using password: YES)` stays
 *   readable. "On its own" is judged only at an edge that is a word
 *   character: `p@` cannot continue a word on its `@` side;
 * - any value, however short, as the password of a URL (`//user:pass@`).
 * The rule itself is migrate/dialects/secret-text.ts, which the drivers'
 * own scrubbing of a URL's password (database-url.ts scrubSecret) shares.
 */
import { removeSecrets } from '../migrate/dialects/secret-text';

const REMEMBERED = 2000;

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
    return removeSecrets(text, this.values, (v) => this.values.has(v));
  }
}
