/**
 * Property tests for the splitter: statements built from tricky pieces
 * (literals holding delimiters, comments, parentheses, dollar quotes) split
 * back into exactly themselves; and any input at all ends in statements or a
 * positioned StatementScanError, never another exception or a hang.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { binaryToUtf8, bytesToBinary, utf8ToBinary } from './binary-text';
import { DIALECT_NAMES, SQL_SYNTAX, type DialectName } from './dialects/syntax';
import { StatementScanError } from './errors';
import { scanStatements } from './scanner';
import { propertyRuns } from './property-runs.test-kit';

const DEFAULT_RUNS = 1000;
const { runs: RUNS, refused: RUNS_REFUSED } = propertyRuns(process.env.PROPERTY_RUNS, DEFAULT_RUNS);

const word = fc.constantFrom('SELECT', 'a', 'x1', 'FROM', 't', '42', '+', '=', ',', 'ünïcode', '*');
const innerText = fc.string({ unit: fc.constantFrom('a', ';', ' ', '\n', '(', ')', '-', '#', '/', '*', '$', 'é') });
/** Text with no quote, comment or parenthesis syntax at all. */
const plainText = fc.string({ unit: fc.constantFrom('a', ';', ' ', '\n', 'é', '1') });

function quoted(q: string, dialect: DialectName) {
  return innerText.map((s) => {
    let body = s.replaceAll(q, q + q);
    // MySQL treats a backslash as an escape; keep backslashes out of its literals.
    if (dialect === 'mysql') body = body.replaceAll('\\', '');
    return q + body + q;
  });
}

/** A piece that may sit anywhere inside a statement without ending it. */
function piece(dialect: DialectName) {
  const pieces = [
    word,
    quoted("'", dialect),
    quoted('"', dialect),
    quoted('`', dialect),
    innerText.map((s) => `/* ${s.replaceAll('*', '')} */`),
    innerText.map((s) => `-- ${s.replaceAll('\n', '')}\n`),
    plainText.map((s) => `(${s})`),
  ];
  if (dialect === 'mysql') pieces.push(innerText.map((s) => `# ${s.replaceAll('\n', '')}\n`));
  if (dialect === 'postgres') pieces.push(innerText.map((s) => `$fn$${s.replaceAll('$fn$', '')}$fn$`));
  return fc.oneof(...pieces);
}

/** A statement: starts with a word (so no leading comment is detached), ends with ";". */
function statement(dialect: DialectName) {
  return fc
    .tuple(word, fc.array(piece(dialect), { maxLength: 8 }))
    .map(([first, rest]) => [first, ...rest].join(' ') + ';')
    .filter((s) => !/\bBEGIN\b|^delimiter/i.test(s));
}

const TRICKY = [
  "'", '"', '`', "''", '\\', '\\\'', '--', '-- c\n', '#', '/*', '*/', '(', ')', ';', '$$', '$t$', '$1',
  'BEGIN ', 'BEGIN ATOMIC ', 'END', 'END;', 'END IF;', 'DELIMITER //\n', 'delimiter ;\n', '//',
  '-- atlas:delimiter //\n', '\r\n', '\n\n', ' ', '\t', '\u00a0', '\u3000', 'é', '\xff', 'SELECT 1', 'x',
];

describe('scanner properties', () => {
  it('PROPERTY_RUNS is a positive count, and unset under CI', () => {
    assert.equal(RUNS_REFUSED, undefined);
  });

  for (const dialect of DIALECT_NAMES) {
    it(`${dialect}: joined statements split back into themselves`, () => {
      fc.assert(
        fc.property(fc.array(statement(dialect), { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', ' ', '\n\n', '\r\n'), (stmts, sep) => {
          const input = utf8ToBinary(stmts.join(sep));
          const got = scanStatements(input, SQL_SYNTAX[dialect]).map((s) => binaryToUtf8(s.raw));
          assert.deepEqual(got, stmts);
        }),
        { numRuns: RUNS },
      );
    });

    it(`${dialect}: any fragment soup ends in statements or a positioned error`, () => {
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...TRICKY), { maxLength: 40 }), (parts) => {
          assertScansCleanly(utf8ToBinary(parts.join('')), dialect);
        }),
        { numRuns: RUNS },
      );
    });

    it(`${dialect}: any bytes end in statements or a positioned error`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          assertScansCleanly(bytesToBinary(bytes), dialect);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

function assertScansCleanly(input: string, dialect: DialectName): void {
  try {
    const out = scanStatements(input, SQL_SYNTAX[dialect]);
    for (const s of out) {
      assert.equal(typeof s.raw, 'string');
      assert.ok(s.offset >= 0 && s.offset + s.raw.length <= input.length);
    }
  } catch (e) {
    assert.ok(e instanceof StatementScanError, `unexpected ${String(e)}`);
    assert.ok(e.line >= 0 && e.column >= 0);
  }
}
