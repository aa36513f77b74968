import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APPROVAL_ANNOTATION, approvedPlanOf } from './approval';

describe('approvedPlanOf', () => {
  it('reads the annotation, normalised as plan hashes are written', () => {
    assert.equal(approvedPlanOf({ annotations: { [APPROVAL_ANNOTATION]: ' ABCdef01 \n' } }), 'abcdef01');
  });

  it('absent, empty or not a string: no approval', () => {
    assert.equal(approvedPlanOf({}), undefined);
    assert.equal(approvedPlanOf({ annotations: { other: 'x' } }), undefined);
    assert.equal(approvedPlanOf({ annotations: { [APPROVAL_ANNOTATION]: '' } }), undefined);
    assert.equal(approvedPlanOf({ annotations: { [APPROVAL_ANNOTATION]: '  ' } }), undefined);
    assert.equal(approvedPlanOf({ annotations: { [APPROVAL_ANNOTATION]: 42 } }), undefined);
  });
});
