import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatGoDuration, parseGoDuration } from './go-duration';

it('parses Go durations', () => {
  assert.equal(parseGoDuration('10s'), 10_000);
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('300ms'), 300);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('10'), undefined);
  assert.equal(parseGoDuration('10 s'), undefined);
  assert.equal(parseGoDuration('s'), undefined);
});

it('refuses what Go refuses as too long (past int64 nanoseconds), and accepts the longest Go allows', () => {
  assert.equal(parseGoDuration('2562047h'), 2_562_047 * 3_600_000);
  assert.equal(parseGoDuration('2562048h'), undefined);
  assert.equal(parseGoDuration('99999999999999999999h'), undefined);
});

it('formats like Go Duration.String()', () => {
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(999), '999ns');
  assert.equal(formatGoDuration(1500), '1.5µs');
  assert.equal(formatGoDuration(3_002_519), '3.002519ms');
  assert.equal(formatGoDuration(1_500_000_000), '1.5s');
  assert.equal(formatGoDuration(90e9), '1m30s');
  assert.equal(formatGoDuration(3723e9), '1h2m3s');
});
