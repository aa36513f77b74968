import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareUtf8, isMigrationFileName, parseMigrationFileName } from './file-name';

describe('migration file names', () => {
  const table: [string, string, string][] = [
    ['20230316085611_create_users.sql', '20230316085611', 'create_users'],
    ['1_initial.up.sql', '1', 'initial.up'],
    ['1_initial.down.sql', '1', 'initial.down'],
    ['1.a_sub.up.sql', '1.a', 'sub.up'],
    ['2.10.x-20_description.sql', '2.10.x-20', 'description'],
    ['10.sql', '10', ''],
    ['_lead.sql', '', 'lead'],
    ['x_.sql', 'x', ''],
    ['.hidden.sql', '.hidden', ''],
    ['a.sql_b.sql', 'a.sql', 'b'],
  ];
  for (const [name, version, description] of table) {
    it(`${name} → version ${JSON.stringify(version)}, description ${JSON.stringify(description)}`, () => {
      assert.deepEqual(parseMigrationFileName(name), { version, description });
    });
  }

  it('only names ending in lower-case .sql are migrations', () => {
    assert.equal(isMigrationFileName('1.sql'), true);
    assert.equal(isMigrationFileName('.sql'), true);
    assert.equal(isMigrationFileName('1.SQL'), false);
    assert.equal(isMigrationFileName('atlas.sum'), false);
    assert.equal(isMigrationFileName('1.sql.bak'), false);
  });
});

describe('byte-wise order', () => {
  it('orders versions as Go compares strings', () => {
    const names = ['2.sql', '1_initial.sql', '10.sql', 'B.sql', 'a.sql'];
    assert.deepEqual([...names].sort(compareUtf8), ['10.sql', '1_initial.sql', '2.sql', 'B.sql', 'a.sql']);
  });

  it('agrees with UTF-8 byte order outside the BMP, where UTF-16 order does not', () => {
    const astral = '\u{1F600}'; // UTF-16 D83D…, UTF-8 F0…
    const high = '\uFF21'; // UTF-16 FF21, UTF-8 EF…
    assert.equal(Math.sign(compareUtf8(astral, high)), Math.sign(Buffer.compare(Buffer.from(astral), Buffer.from(high))));
    assert.equal(Math.sign(compareUtf8(high, astral)), 1 * Math.sign(Buffer.compare(Buffer.from(high), Buffer.from(astral))));
    assert.ok(compareUtf8(high, astral) < 0, 'U+FF21 sorts before U+1F600 in UTF-8');
  });

  it('matches Buffer.compare on random strings', () => {
    const pool = ['a', 'Z', '_', '0', 'é', '\u00ff', '\u0100', '\uE000', '\uFFFD', '\u{10000}', '\u{1F600}'];
    let seed = 7;
    const pick = () => pool[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % pool.length] ?? 'a';
    for (let n = 0; n < 2000; n++) {
      const a = Array.from({ length: 1 + (n % 4) }, pick).join('');
      const b = Array.from({ length: 1 + ((n * 7) % 4) }, pick).join('');
      assert.equal(Math.sign(compareUtf8(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))), `${a} vs ${b}`);
    }
  });
});
