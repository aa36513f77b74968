/**
 * Every value the operator read from a Secret or a URL's password, kept
 * out of everything a person sees: logs, events, status messages. Driver
 * and engine messages are already redacted at the source; this is the last
 * line, for texts that quote a value in an unexpected place.
 */
import { scrubSecret } from '../migrate/dialects/database-url';

const REMEMBERED = 2000;

export class SecretScrubber {
  private readonly values = new Set<string>();

  add(values: readonly string[]): void {
    for (const v of values) {
      if (v.length < 3) continue;
      // Re-adding moves a value to the newest end: values still in use are never the ones forgotten.
      this.values.delete(v);
      if (this.values.size >= REMEMBERED) this.values.delete(this.values.values().next().value as string);
      this.values.add(v);
    }
  }

  scrub(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v) || out.includes(encodeURIComponent(v))) out = scrubSecret(out, v);
    return out;
  }
}
