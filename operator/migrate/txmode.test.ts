import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidDirectiveError } from './errors';
import { MigrationFile } from './migration-file';
import { effectiveTxMode, type TxMode } from './txmode';

const file = (content: string) => new MigrationFile('1_x.sql', Buffer.from(content));

describe('transaction mode per file', () => {
  const ok: [string, TxMode, TxMode][] = [
    ['SELECT 1;', 'file', 'file'],
    ['SELECT 1;', 'all', 'all'],
    ['-- atlas:txmode none\n\nSELECT 1;', 'file', 'none'],
    ['-- atlas:txmode file\n\nSELECT 1;', 'none', 'file'],
    // A directive equal to the global mode changes nothing.
    ['-- atlas:txmode file\n\nSELECT 1;', 'file', 'file'],
    // Without the blank line the header is not a directive block.
    ['-- atlas:txmode none\nSELECT 1;', 'file', 'file'],
  ];
  for (const [content, global, expected] of ok) {
    it(`${JSON.stringify(content.split('\n')[0])} under ${global} → ${expected}`, () => {
      assert.equal(effectiveTxMode(file(content), global), expected);
    });
  }

  const bad: [string, TxMode, string][] = [
    ['-- atlas:txmode none\n-- atlas:txmode file\n\nx', 'file', 'multiple txmode values found in file "1_x.sql": ["none" "file"]'],
    ['-- atlas:txmode all\n\nx', 'file', 'txmode "all" is not allowed in file directive "1_x.sql". Use "file" instead'],
    ['-- atlas:txmode never\n\nx', 'file', 'unknown txmode "never" found in file directive "1_x.sql"'],
    ['-- atlas:txmode none\n\nx', 'all', 'cannot set txmode directive to "none" in "1_x.sql" when txmode "all" is set globally'],
  ];
  for (const [content, global, message] of bad) {
    it(`rejects: ${message}`, () => {
      assert.throws(
        () => effectiveTxMode(file(content), global),
        (e: unknown) => e instanceof InvalidDirectiveError && e.message === message && e.file === '1_x.sql',
      );
    });
  }
});
