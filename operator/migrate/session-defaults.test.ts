import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directoryFromEntries } from './directory';
import { mayResetSession } from './session-defaults';

const dirOf = (sql: string) => directoryFromEntries([['1_a.sql', 'CREATE TABLE a (id int);\n'], ['2_b.sql', sql]], 'test');

describe('mayResetSession: files that may set a session parameter back to its default get a new session', () => {
  const resets = [
    'RESET search_path;',
    'reset all;',
    'DISCARD ALL;',
    'discard temp;',
    'SET search_path TO DEFAULT;',
    'SET search_path = default;',
    'SET SESSION statement_timeout TO DEFAULT;',
    'set local lock_timeout=DEFAULT;',
    "DO $$ BEGIN EXECUTE 'RESET ROLE'; END $$;",
    '-- RESET in a comment counts too (on the safe side)\nSELECT 1;',
    'UPDATE t SET c = DEFAULT;',
  ];
  for (const sql of resets) it(`resets: ${JSON.stringify(sql)}`, () => assert.equal(mayResetSession(dirOf(sql)), true));

  const plain = [
    'CREATE TABLE t (c int DEFAULT 0);',
    'ALTER TABLE t ALTER COLUMN c SET DEFAULT 1;',
    'ALTER TABLE t ALTER COLUMN c DROP DEFAULT;',
    "SET search_path TO tenant_1, public;",
    "SELECT pg_catalog.set_config('search_path', '', false);",
    'CREATE TABLE password_reset_tokens (reset_at timestamptz, discarded bool);',
    'INSERT INTO t VALUES (DEFAULT);',
  ];
  for (const sql of plain) it(`plain: ${JSON.stringify(sql)}`, () => assert.equal(mayResetSession(dirOf(sql)), false));

  it('is asked once per directory', () => {
    const d = dirOf('SELECT 1;');
    assert.equal(mayResetSession(d), false);
    d.files[1]?.bytes.write('RESET    ', 0, 'latin1');
    assert.equal(mayResetSession(d), false, 'remembered');
    assert.equal(mayResetSession(dirOf('RESET x;')), true);
  });
});
