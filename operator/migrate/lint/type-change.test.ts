import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DialectName } from '../dialects/syntax';
import { readColumnType } from './column-type';
import { TokenCursor } from './cursor';
import { tokenize } from './tokens';
import { compareColumnTypes, type TypeChange } from './type-change';

function type(text: string, dialect: DialectName) {
  const t = readColumnType(new TokenCursor(tokenize(text, dialect)));
  assert.ok(t !== undefined, text);
  return t;
}

const CASES: readonly [DialectName, string, string, TypeChange][] = [
  ['mysql', 'varchar(255)', 'varchar(50)', 'narrower'],
  ['mysql', 'varchar(50)', 'VARCHAR(255)', 'wider'],
  ['mysql', 'VARCHAR(50)', 'varchar(50)', 'same'],
  ['mysql', 'bigint', 'int', 'narrower'],
  ['mysql', 'int(11)', 'int', 'same'],
  ['mysql', 'int', 'bigint', 'wider'],
  ['mysql', 'int', 'int unsigned', 'narrower'],
  ['mysql', 'int unsigned', 'bigint', 'wider'],
  ['mysql', 'int unsigned', 'int', 'narrower'],
  ['mysql', 'text', 'varchar(100)', 'narrower'],
  ['mysql', 'text', 'varchar(65535)', 'same'],
  ['mysql', 'longtext', 'mediumtext', 'narrower'],
  ['mysql', 'decimal(10,2)', 'decimal(8,2)', 'narrower'],
  ['mysql', 'decimal(10,2)', 'decimal(10,1)', 'narrower'],
  ['mysql', 'decimal(10,2)', 'decimal(12,3)', 'wider'],
  ['mysql', 'decimal', 'decimal(10,0)', 'same'],
  ['mysql', 'double', 'float', 'narrower'],
  ['mysql', 'datetime(6)', 'datetime', 'narrower'],
  ['mysql', 'datetime', 'date', 'converted'],
  ['mysql', 'date', 'datetime', 'wider'],
  ['mysql', "enum('a','b')", "enum('a')", 'converted'],
  ['mysql', 'int', 'varchar(5)', 'narrower'],
  ['mysql', 'int', 'varchar(11)', 'wider'],
  ['mysql', 'int', 'decimal(10,0)', 'wider'],
  ['mysql', 'bigint', 'double', 'narrower'],
  ['mysql', 'varbinary(100)', 'binary(16)', 'narrower'],
  ['mysql', 'blob', 'longblob', 'wider'],
  ['postgres', 'text', 'varchar(10)', 'narrower'],
  ['postgres', 'character varying(20)', 'varchar(30)', 'wider'],
  ['postgres', 'numeric', 'numeric(12,2)', 'narrower'],
  ['postgres', 'integer', 'int4', 'same'],
  ['postgres', 'int8', 'integer', 'narrower'],
  ['postgres', 'smallint', 'real', 'wider'],
  ['postgres', 'integer', 'real', 'narrower'],
  ['postgres', 'integer', 'double precision', 'wider'],
  ['postgres', 'timestamp(6) with time zone', 'timestamptz(3)', 'narrower'],
  ['postgres', 'timestamp', 'timestamp(6)', 'same'],
  ['postgres', 'jsonb', 'text', 'wider'],
  ['postgres', 'text', 'jsonb', 'converted'],
  ['postgres', 'int[]', 'int', 'converted'],
  ['postgres', 'boolean', 'int', 'converted'],
];

describe('column type changes', () => {
  for (const [dialect, from, to, want] of CASES) {
    it(`${dialect}: ${from} → ${to} is ${want}`, () => {
      assert.equal(compareColumnTypes(type(from, dialect), type(to, dialect), dialect), want);
    });
  }

  it('read a type up to its attributes, keeping its spelling for messages', () => {
    const c = new TokenCursor(tokenize('numeric(10, 2)[] NOT NULL DEFAULT 0', 'postgres'));
    assert.deepEqual(readColumnType(c), { text: 'numeric(10,2)[]', base: 'numeric', args: [10, 2], unsigned: false, array: true });
    assert.equal(c.peek()?.keyword, 'NOT');
    const m = readColumnType(new TokenCursor(tokenize('VARCHAR(20) CHARACTER SET utf8mb4 NOT NULL', 'mysql')));
    assert.equal(m?.text, 'varchar(20)');
    assert.equal(readColumnType(new TokenCursor(tokenize('character varying(5) COLLATE "C"', 'postgres')))?.text, 'character varying(5)');
  });
});
