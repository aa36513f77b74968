import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_DESTRUCTIVE,
  DEFAULT_ERROR_CODES,
  LINT_CODES,
  lintCode,
  matchesCodes,
  parseCodePatterns,
  UnknownLintCodeError,
  validateCodePatterns,
} from './codes';

describe('lint codes', () => {
  it('list each code once, in the documented families', () => {
    const codes = LINT_CODES.map((c) => c.code);
    assert.equal(new Set(codes).size, codes.length);
    assert.deepEqual(codes, [
      'DS101', 'DS102', 'DS103', 'CD101', 'BC101', 'BC102', 'MF101', 'MF102', 'MF103', 'MF104',
      'KM101', 'KM102', 'KM103', 'KM104', 'KM201', 'KM202', 'KM203', 'KM204',
    ]);
    assert.equal(lintCode('DS102')?.title, 'Table dropped');
    assert.equal(lintCode('XX999'), undefined);
  });

  it('default destructive: DS*, CD101, BC*, KM101-KM104', () => {
    assert.deepEqual(DEFAULT_DESTRUCTIVE, ['DS101', 'DS102', 'DS103', 'CD101', 'BC101', 'BC102', 'KM101', 'KM102', 'KM103', 'KM104']);
  });

  it('default errors: DS*, KM101-KM103', () => {
    assert.deepEqual(DEFAULT_ERROR_CODES, ['DS101', 'DS102', 'DS103', 'KM101', 'KM102', 'KM103']);
    assert.ok(LINT_CODES.every((c) => !c.error || c.destructive), 'every default error is destructive');
  });

  it('match full codes, prefixes ending in * and *', () => {
    assert.ok(matchesCodes('DS102', ['DS*']));
    assert.ok(matchesCodes('DS102', ['ds102']));
    assert.ok(matchesCodes('KM201', ['*']));
    assert.ok(matchesCodes('KM201', ['KM2*']));
    assert.ok(!matchesCodes('KM101', ['KM2*']));
    assert.ok(!matchesCodes('DS102', ['DS10']));
    assert.ok(!matchesCodes('DS102', []));
  });

  it('validate user patterns, refusing unknown ones by name', () => {
    assert.deepEqual(validateCodePatterns(['ds*', ' KM101 ']), ['DS*', 'KM101']);
    assert.throws(() => validateCodePatterns(['DS*', 'DS109']), (e: unknown) => e instanceof UnknownLintCodeError && e.pattern === 'DS109' && /unknown lint code "DS109"/.test(e.message));
    assert.throws(() => validateCodePatterns(['ZZ*']), UnknownLintCodeError);
    assert.throws(() => validateCodePatterns(['']), UnknownLintCodeError);
  });

  it('parse a comma- or space-separated list', () => {
    assert.deepEqual(parseCodePatterns('DS*, KM101 BC102'), ['DS*', 'KM101', 'BC102']);
    assert.deepEqual(parseCodePatterns(''), []);
    assert.throws(() => parseCodePatterns('DS*,nope'), /unknown lint code "nope"/);
  });
});
