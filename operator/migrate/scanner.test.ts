/**
 * Scanner fixtures: every `testdata/scanner/*.sql` is split with each
 * dialect and compared with `<name>.golden.json`. The goldens were checked
 * against Atlas's own scanner; regenerate with UPDATE_GOLDEN=1 only after
 * checking a change the same way.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bytesToBinary } from './binary-text';
import { DIALECT_NAMES, SQL_SYNTAX } from './dialects/syntax';
import { StatementScanError } from './errors';
import { scanStatements } from './scanner';

const DIR = join(__dirname, 'testdata', 'scanner');
/** `make test` under CI=true (.ci/run). */
const IN_CI = !['', '0', 'false'].includes(process.env.CI ?? '');
/** Rewriting the goldens makes every fixture pass without comparing: a person's step, never CI's. */
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1' && !IN_CI;

/** Valid UTF-8 stays readable in the golden; anything else is stored as base64. */
function encode(binary: string): string {
  const bytes = Buffer.from(binary, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : 'base64:' + bytes.toString('base64');
}

type Outcome = { statements: { text: string; comments: string[] }[] } | { error: string };

function outcome(input: string, dialect: (typeof DIALECT_NAMES)[number]): Outcome {
  try {
    const statements = scanStatements(input, SQL_SYNTAX[dialect]);
    return { statements: statements.map((s) => ({ text: encode(s.raw), comments: s.comments.map(encode) })) };
  } catch (e) {
    if (e instanceof StatementScanError) return { error: e.message };
    throw e;
  }
}

const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.sql'));

describe('scanner fixtures', () => {
  it('has fixtures', () => assert.ok(fixtures.length >= 30));
  it('UPDATE_GOLDEN is not set under CI (the goldens are compared, never rewritten, there)', () => {
    assert.ok(!IN_CI || process.env.UPDATE_GOLDEN === undefined, `UPDATE_GOLDEN=${process.env.UPDATE_GOLDEN ?? ''} is set under CI=${process.env.CI ?? ''}`);
  });
  for (const fixture of fixtures) {
    it(fixture, () => {
      const input = bytesToBinary(readFileSync(join(DIR, fixture)));
      const actual = Object.fromEntries(DIALECT_NAMES.map((d) => [d, outcome(input, d)]));
      const goldenPath = join(DIR, fixture.replace(/\.sql$/, '.golden.json'));
      if (UPDATE_GOLDEN) writeFileSync(goldenPath, JSON.stringify(actual, null, 2) + '\n');
      assert.deepEqual(actual, JSON.parse(readFileSync(goldenPath, 'utf8')));
    });
  }
});

describe('scanner positions', () => {
  it('offsets point at each statement in the input', () => {
    const input = '  SELECT 1;\n\n-- c\nSELECT 2;';
    const got = scanStatements(input, SQL_SYNTAX.postgres).map((s) => input.slice(s.offset, s.offset + s.raw.length));
    assert.deepEqual(got, ['SELECT 1;', 'SELECT 2;']);
  });

  it('errors carry line and 1-based column', () => {
    assert.throws(
      () => scanStatements('SELECT 1;\n  SELECT (1;\n', SQL_SYNTAX.mysql),
      (e: unknown) => e instanceof StatementScanError && e.line === 2 && e.column === 10 && e.reason === "unclosed '('",
    );
  });

  it('deeply nested BEGIN blocks end in statements or an error, quickly', () => {
    const input = 'CREATE PROCEDURE p() ' + 'BEGIN '.repeat(200) + 'SELECT 1;';
    const started = Date.now();
    const out = scanStatements(input, SQL_SYNTAX.mysql);
    assert.equal(out.length, 1);
    assert.ok(Date.now() - started < 2000, 'unclosed BEGIN blocks must not take exponential time');
  });
});

describe('scanner edge cases', () => {
  const texts = (input: string, dialect: (typeof DIALECT_NAMES)[number]) => scanStatements(input, SQL_SYNTAX[dialect]).map((s) => s.raw);
  const trigger = (space: string) => `CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW${space}BEGIN\n  SET NEW.c = 1;\nEND;\nSELECT 2;`;

  it('a quoted DELIMITER undoubles its quotes; one quoted on one side only is taken as written', () => {
    assert.deepEqual(texts("DELIMITER 'a''b'\nSELECT 1a'b\nSELECT 2a'b\n", 'mysql'), ['SELECT 1', 'SELECT 2']);
    assert.deepEqual(texts("DELIMITER //'\nSELECT 1//'\n", 'mysql'), ['SELECT 1']);
    // "'//": its first byte opens a quote, so it never matches and the input is one statement.
    assert.deepEqual(texts("DELIMITER '//\nSELECT 1/\nSELECT 2/\n", 'mysql'), ['SELECT 1/\nSELECT 2/']);
  });

  it('a DELIMITER command on the last line, without a newline, ends the input', () => {
    assert.deepEqual(texts('SELECT 1;\nDELIMITER //', 'mysql'), ['SELECT 1;']);
  });

  it('atlas:delimiter reads \\r and \\t escapes', () => {
    assert.deepEqual(texts('-- atlas:delimiter \\r\nSELECT 1\rSELECT 2\r', 'mysql'), ['SELECT 1', 'SELECT 2']);
    assert.deepEqual(texts('-- atlas:delimiter \\t\nSELECT 1\tSELECT 2\t', 'mysql'), ['SELECT 1', 'SELECT 2']);
  });

  it('PostgreSQL: a backslash does not escape a quote, even after an e inside the string', () => {
    assert.deepEqual(texts("SELECT 'ae\\';\nSELECT 2;", 'postgres'), ["SELECT 'ae\\';", 'SELECT 2;']);
  });

  it('a BEGIN block at the very start of the input is one statement', () => {
    assert.deepEqual(texts('BEGIN NOT ATOMIC\n  SELECT 1;\nEND;\nSELECT 2;', 'mysql'), ['BEGIN NOT ATOMIC\n  SELECT 1;\nEND;', 'SELECT 2;']);
  });

  it('BEGIN mid-statement: after any RE2 white space (tab, form feed, CR), in any case', () => {
    for (const space of ['\t', '\f', '\r']) {
      assert.deepEqual(texts(trigger(space), 'mysql'), [trigger(space).slice(0, -'\nSELECT 2;'.length), 'SELECT 2;'], JSON.stringify(space));
    }
    const lower = 'create trigger t before insert on x for each row\nbegin\n  set new.c = 1;\nend;\nselect 2;';
    assert.deepEqual(texts(lower, 'mysql'), [lower.slice(0, -'\nselect 2;'.length), 'select 2;']);
  });
});
