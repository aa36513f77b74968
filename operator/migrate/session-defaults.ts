/**
 * Whether a directory's files may set a session parameter back to its
 * default: `RESET x`, `RESET ALL`, `DISCARD …`, `SET x TO DEFAULT`.
 *
 * A PostgreSQL session kept from an earlier run (dialects/session-cache.ts)
 * is bound to the next URL's `search_path` with a SET, where a new
 * session gets it as a startup parameter, and a parameter's default is
 * its startup value: `RESET search_path` on a kept session would go back
 * to the server's default instead of the URL's schema. Such directories
 * always get a new session. The test is on the text and errs on the safe
 * side: the words in a comment or a string, or `UPDATE t SET c = DEFAULT`,
 * also count; each only costs a login.
 */
import type { MigrationDirectory } from './directory';

const RESETS = /\b(?:RESET|DISCARD)\b|\bSET\s+(?:SESSION\s+|LOCAL\s+)?[A-Za-z_][\w.]*\s*(?:TO|=)\s*DEFAULT\b/i;

const seen = new WeakMap<MigrationDirectory, boolean>();

export function mayResetSession(directory: MigrationDirectory): boolean {
  let found = seen.get(directory);
  if (found === undefined) {
    // latin1: one char per byte, not kept (the keywords are ASCII; a file's cached text is left unbuilt).
    found = directory.files.some((f) => RESETS.test(f.bytes.toString('latin1')));
    seen.set(directory, found);
  }
  return found;
}
