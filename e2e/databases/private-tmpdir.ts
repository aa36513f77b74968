/**
 * A temporary directory of this test process's own, as TMPDIR.
 *
 * Why: the SQLite driver's lock is Atlas's lock file in the temporary
 * directory (operator/migrate/dialects/sqlite.ts), one per machine for a
 * file database. Test files run in parallel processes, so without this
 * every SQLite test of every file would share one lock: a test would wait
 * for (or time out on) another file's run, or trip over a lock file a
 * killed test left behind.
 *
 * How: Node's os.tmpdir() and Go's os.TempDir() (Atlas) both follow TMPDIR,
 * so the product keeps Atlas's lock location and only the tests move it.
 * Processes a test starts afterwards (the operator, the CLI) inherit TMPDIR,
 * so a test and its operator still share one lock, as on a real host.
 * Call it before starting them; calling it again is a no-op.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MARK = 'ATLAS_TESTS_PRIVATE_TMPDIR';

export function usePrivateTmpdir(): string {
  const current = process.env[MARK];
  if (current !== undefined && current === process.env.TMPDIR && current.includes(`-${process.pid}-`)) return current;
  const dir = mkdtempSync(join(tmpdir(), `atlas-tests-${process.pid}-`));
  // Like /tmp: servers running as another user (postgres when the tests run as root) create their folders here too.
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  process.env[MARK] = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
