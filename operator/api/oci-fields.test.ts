import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DEFAULT_OCI_MAX_BYTES, parseByteSize } from './oci-fields';

it('parseByteSize reads quantities and whole numbers', () => {
  assert.equal(parseByteSize(undefined), DEFAULT_OCI_MAX_BYTES);
  assert.equal(DEFAULT_OCI_MAX_BYTES, 64 * 1024 * 1024);
  assert.equal(parseByteSize(1000), 1000);
  assert.equal(parseByteSize('1000'), 1000);
  assert.equal(parseByteSize('64Mi'), 64 * 1024 * 1024);
  assert.equal(parseByteSize('1.5Gi'), 1.5 * 1024 ** 3);
  assert.equal(parseByteSize('2k'), 2000);
  assert.equal(parseByteSize('100M'), 100_000_000);
  for (const bad of ['', '64MB', '-1', '0', 0, 1.5, 'Mi']) assert.throws(() => parseByteSize(bad), /maxSize/);
});
