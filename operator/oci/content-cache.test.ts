import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ContentCache } from './content-cache';

it('ContentCache evicts the least recently used past its byte bound and skips entries over half of it', () => {
  const cache = new ContentCache<string>(100);
  cache.set('a', 'A', 40);
  cache.set('b', 'B', 40);
  assert.equal(cache.get('a'), 'A');
  cache.set('c', 'C', 40);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), 'A');
  assert.equal(cache.bytes, 80);
  cache.set('big', 'X', 51);
  assert.equal(cache.get('big'), undefined);
  assert.equal(cache.size, 2);
  cache.set('a', 'A2', 10);
  assert.equal(cache.bytes, 50);
  assert.equal(cache.hits, 2);
});
