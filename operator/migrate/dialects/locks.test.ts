import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { parseDatabaseUrl } from './database-url';
import { fnv32 } from './postgres';
import { adler32, sqliteLockPath } from './sqlite';

it('uses Atlas\'s Postgres advisory lock key (FNV-32, not FNV-1a)', () => {
  assert.equal(fnv32('atlas_migrate_execute'), 2686470616);
  assert.equal(fnv32(''), 0x811c9dc5);
});

it('names the SQLite lock file as Atlas does', () => {
  assert.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398);
  assert.equal(sqliteLockPath('atlas_migrate_execute', parseDatabaseUrl('sqlite://dev.db')), join(tmpdir(), 'atlas_migrate_execute.lock'));
  assert.equal(
    sqliteLockPath('atlas_migrate_execute', parseDatabaseUrl('sqlite://file?mode=memory')),
    join(tmpdir(), `atlas_migrate_execute_${adler32(Buffer.from('file')).toString(16)}.lock`),
  );
});
