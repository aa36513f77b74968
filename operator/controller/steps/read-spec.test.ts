/**
 * readSpec beyond the walk-through: each option as it reaches the engine,
 * each refusal naming its field, and the resource itself left untouched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSpec } from './read-spec';
import { stepError } from './steps.test-kit';

const base = { url: 'mysql://root@db:3306/app', dir: { local: {} } };
const read = (over: object) => readSpec({ spec: { ...base, ...over } }, 'ns/m');
const refused = (over: object, reason: string, message: RegExp) => assert.throws(() => read(over), stepError(reason, 'permanent', message));

describe('readSpec: options', () => {
  it('passes every option through as given', () => {
    const r = read({ revisionsSchema: 'audit', baseline: '20230101000000', execOrder: 'non-linear', txMode: 'all', lockTimeout: '1m30s', dryRun: true, backoffLimit: 3 });
    assert.deepEqual(r.options, { revisionsSchema: 'audit', baseline: '20230101000000', execOrder: 'non-linear', txMode: 'all', lockTimeoutMs: 90_000, dryRun: true, backoffLimit: 3 });
  });

  it('a lockTimeout longer than a timer can wait (about 24.8 days) waits that long, not 1 ms', () => {
    assert.equal(read({ lockTimeout: '1000h' }).options.lockTimeoutMs, 2 ** 31 - 1);
    assert.equal(read({ lockTimeout: '596h' }).options.lockTimeoutMs, 596 * 3_600_000);
  });

  it('an empty revisionsSchema means the connected schema; dryRun false and backoffLimit 0 are kept', () => {
    const r = read({ revisionsSchema: '', dryRun: false, backoffLimit: 0, execOrder: 'linear-skip', txMode: 'none' });
    assert.equal(r.options.revisionsSchema, undefined);
    assert.equal(r.options.dryRun, false);
    assert.equal(r.options.backoffLimit, 0);
    assert.equal(r.options.execOrder, 'linear-skip');
    assert.equal(r.options.txMode, 'none');
  });

  it('never writes its defaults into the resource it was given', () => {
    const resource = { spec: { ...base } };
    readSpec(resource, 'ns/m');
    assert.deepEqual(resource, { spec: { ...base } });
  });

  it('every field that has no effect here is listed, and only those', () => {
    assert.deepEqual(read({ devURLFrom: { secretKeyRef: { name: 'dev', key: 'url' } }, devDB: { driver: 'mysql' } }).unused, ['spec.devURLFrom', 'spec.devDB']);
    assert.deepEqual(read({}).unused, []);
  });

  it('an empty vars list and migrateDown.allow false are not refused', () => {
    assert.doesNotThrow(() => read({ vars: [], protectedFlows: { migrateDown: { allow: false } } }));
  });
});

describe('readSpec: refusals name the resource and the field', () => {
  it('a lockTimeout that is not a duration (or longer than Go allows), and an empty baseline', () => {
    refused({ lockTimeout: 'soon' }, 'InvalidSpec', /^ns\/m: invalid spec: spec\.lockTimeout: must match pattern/);
    refused({ lockTimeout: '99999999999999999999h' }, 'InvalidSpec', /^ns\/m: invalid spec: spec\.lockTimeout: "99999999999999999999h" is not a duration$/);
    refused({ baseline: '' }, 'InvalidSpec', /^ns\/m: invalid spec: spec\.baseline: must not be empty$/);
  });

  it('every unnamed Secret reference, all in one message', () => {
    const ref = { secretKeyRef: { key: 'k' } };
    const spec = { dir: { local: {} }, credentials: { scheme: 'mysql', host: 'h', userFrom: ref, passwordFrom: ref, hostFrom: ref } };
    assert.throws(
      () => readSpec({ spec }, 'ns/m'),
      stepError('InvalidSpec', 'permanent', /^ns\/m: invalid spec: spec\.credentials\.userFrom\.secretKeyRef\.name: required; spec\.credentials\.passwordFrom\.secretKeyRef\.name: required; spec\.credentials\.hostFrom\.secretKeyRef\.name: required$/),
    );
  });

  it('credentials with a literal host, or whose host comes from a Secret, are accepted', () => {
    assert.doesNotThrow(() => readSpec({ spec: { dir: { local: {} }, credentials: { scheme: 'mysql', host: 'db', user: 'root' } } }, 'ns/m'));

    const spec = { dir: { local: {} }, credentials: { scheme: 'mysql', hostFrom: { secretKeyRef: { name: 'db', key: 'host' } } } };
    assert.doesNotThrow(() => readSpec({ spec }, 'ns/m'));
    assert.throws(() => readSpec({ spec: { dir: { local: {} }, credentials: { scheme: 'mysql', host: '' } } }, 'ns/m'), stepError('InvalidSpec', 'permanent', /spec\.credentials: host or hostFrom is required/));
  });

  it('a custom atlas.hcl, by value or from a Secret, is refused as such', () => {
    refused({ config: 'env "k8s" {}' }, 'UnsupportedField', /^ns\/m: not supported by this operator: spec\.config \(custom atlas\.hcl\); remove the field\(s\) or use the Atlas Operator$/);
    refused({ configFrom: { secretKeyRef: { name: 'hcl', key: 'atlas.hcl' } } }, 'UnsupportedField', /: spec\.configFrom \(custom atlas\.hcl\);/);
  });

  it('an invalid spec is refused before unsupported fields are looked at', () => {
    refused({ cloud: { project: 'p' }, lockTimeout: 'soon' }, 'InvalidSpec', /spec\.lockTimeout/);
  });
});
