import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APPROVAL_ANNOTATION } from '../api/approval';
import { inputsKey, resourceIdentity } from './inputs';

describe('resourceIdentity', () => {
  it('is uid/generation; an approval annotation is part of it (annotations do not bump the generation)', () => {
    assert.equal(resourceIdentity({ uid: 'u', generation: 3 }), 'u/3');
    const approved = resourceIdentity({ uid: 'u', generation: 3, annotations: { [APPROVAL_ANNOTATION]: 'abc', other: 'x' } } as object);
    assert.equal(approved, 'u/3 approved=abc');
    assert.equal(resourceIdentity({ uid: 'u', generation: 3, annotations: { other: 'y' } } as object), 'u/3');
  });

  it('inputsKey adds each referenced object\'s version', () => {
    assert.equal(inputsKey('u/3', ['Secret/ns/db', 'ConfigMap/ns/m'], (r) => (r.startsWith('Secret') ? '7' : undefined)), 'u/3 Secret/ns/db@7 ConfigMap/ns/m@-');
  });
});
