/**
 * Property tests: any text at all, and any soup of the words the checks look
 * for, lints to a list of well-formed findings, never an exception.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { utf8ToBinary } from '../binary-text';
import { DIALECT_NAMES, type DialectName } from '../dialects/syntax';
import { Statement } from '../statements';
import { lintCode } from './codes';
import { lintStatements } from './lint';
import { tokenize } from './tokens';
import { propertyRuns } from '../property-runs.test-kit';

const { runs: RUNS, refused: RUNS_REFUSED } = propertyRuns(process.env.PROPERTY_RUNS, 500);

const WORDS = [
  'ALTER', 'TABLE', 'DROP', 'ADD', 'COLUMN', 'CONSTRAINT', 'FOREIGN', 'KEY', 'PRIMARY', 'UNIQUE', 'INDEX', 'ON', 'IF',
  'EXISTS', 'NOT', 'NULL', 'DEFAULT', 'RENAME', 'TO', 'AS', 'MODIFY', 'CHANGE', 'TYPE', 'SET', 'DATA', 'CREATE',
  'TRUNCATE', 'DELETE', 'UPDATE', 'FROM', 'WHERE', 'USING', 'WITH', 'ONLY', 'SCHEMA', 'DATABASE', 'VIEW', 'MATERIALIZED',
  'FUNCTION', 'PROCEDURE', 'TRIGGER', 'TEMPORARY', 'CONCURRENTLY', 'GENERATED', 'varchar', 'int', 'unsigned', 'text',
  'numeric', 't', 'u', '"q""x"', '`b`', '[s]', "'str'", '$$ body $$', '1', '10', '(', ')', ',', ';', '.', '=', '*',
  '[', ']', '--', '/*', '*/', '#', "'", '"', '`', '$', 'E', '\\', '\n', ' ',
];

const soup = fc.array(fc.constantFrom(...WORDS), { maxLength: 40 }).map((words) => words.join(' '));
const anyText = fc.string({ unit: 'binary', maxLength: 200 });

function statementOf(text: string): Statement {
  return new Statement('1_prop.sql', 0, 7, utf8ToBinary(text), []);
}

function assertWellFormed(text: string, dialect: DialectName): void {
  const findings = lintStatements('1_prop.sql', [statementOf(text)], dialect);
  const lines = text.split('\n').length;
  for (const f of findings) {
    assert.ok(lintCode(f.code) !== undefined, f.code);
    assert.ok(f.line >= 7 && f.line < 7 + lines, `line ${f.line}`);
    assert.equal(f.statement, 1);
    assert.ok(f.message.length > 0);
  }
}

describe('lint never throws', () => {
  it('PROPERTY_RUNS is a positive count, and unset under CI', () => {
    assert.equal(RUNS_REFUSED, undefined);
  });


  for (const dialect of DIALECT_NAMES) {
    it(`${dialect}: on a soup of the words the checks read`, () => {
      fc.assert(fc.property(soup, (text) => assertWellFormed(text, dialect)), { numRuns: RUNS });
    });

    it(`${dialect}: on any text`, () => {
      fc.assert(
        fc.property(anyText, (text) => {
          tokenize(text, dialect);
          assertWellFormed(text, dialect);
        }),
        { numRuns: RUNS },
      );
    });
  }
});
