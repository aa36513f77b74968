/**
 * SQLite lock isolation between test processes (see private-tmpdir.ts):
 * two test processes never share Atlas's lock file, while a process a test
 * starts (the operator) shares the test's.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { it } from 'node:test';
import { parseDatabaseUrl } from '../../operator/migrate/dialects/database-url';
import { sqliteLockPath } from '../../operator/migrate/dialects/sqlite';
import { usePrivateTmpdir } from './private-tmpdir';

const FILE_DB = parseDatabaseUrl('sqlite:///var/lib/app/app.db');
const LOCK_PATH_SCRIPT = `
  const { sqliteLockPath } = require(${JSON.stringify(require.resolve('../../operator/migrate/dialects/sqlite'))});
  const { parseDatabaseUrl } = require(${JSON.stringify(require.resolve('../../operator/migrate/dialects/database-url'))});
  if (process.argv[1] === 'isolate') require(${JSON.stringify(require.resolve('./private-tmpdir'))}).usePrivateTmpdir();
  process.stdout.write(sqliteLockPath('atlas_migrate_execute', parseDatabaseUrl('sqlite:///var/lib/app/app.db')));
`;

/** The lock path another process computes: `isolate` makes it a test process of its own, else it is one this test started. */
function lockPathIn(kind: 'isolate' | 'child'): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', LOCK_PATH_SCRIPT, kind], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

it('test processes get SQLite lock files of their own; processes they start share theirs', () => {
  const shared = sqliteLockPath('atlas_migrate_execute', FILE_DB);
  const dir = usePrivateTmpdir();
  assert.equal(usePrivateTmpdir(), dir, 'a second call keeps the same folder');
  const mine = sqliteLockPath('atlas_migrate_execute', FILE_DB);
  assert.notEqual(mine, shared, 'not the machine-wide lock file');
  assert.ok(mine.startsWith(`${dir}/`));
  assert.equal(tmpdir(), dir, 'the product reads the temporary directory as before (TMPDIR), Atlas-compatible');
  const another = lockPathIn('isolate');
  assert.notEqual(another, mine, 'another test process has its own lock file');
  assert.equal(lockPathIn('child'), mine, 'a process this test starts (the operator) shares the test\'s lock');
});
