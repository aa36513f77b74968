import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { referencesOf, ReferenceIndex } from './reference-index';

describe('referencesOf', () => {
  it('names every Secret and ConfigMap a spec reads, once each', () => {
    const refs = referencesOf('ns', {
      urlFrom: { secretKeyRef: { name: 'db', key: 'url' } },
      credentials: { scheme: 'mysql', passwordFrom: { secretKeyRef: { name: 'db', key: 'pw' } }, hostFrom: { secretKeyRef: { name: 'host', key: 'h' } } },
      dir: { configMapRefs: [{ name: 'm1' }, { name: 'm2' }] },
    });
    assert.deepEqual(refs, ['Secret/ns/db', 'Secret/ns/host', 'ConfigMap/ns/m1', 'ConfigMap/ns/m2']);
    assert.deepEqual(referencesOf('ns', { url: 'x', dir: { local: {} } }), []);
  });

  it('names the pull Secret and the CA Secret of spec.dir.oci', () => {
    const refs = referencesOf('ns', { url: 'x', dir: { oci: { ref: 'r.example.com/m:v1', pullSecret: { name: 'pull' }, caSecretRef: { name: 'ca', key: 'ca.crt' } } } });
    assert.deepEqual(refs, ['Secret/ns/pull', 'Secret/ns/ca']);
  });
});

describe('ReferenceIndex', () => {
  it('maps a referenced object to exactly the resources that read it, and forgets replaced references', () => {
    const index = new ReferenceIndex();
    index.set('ns/a', ['Secret/ns/db', 'ConfigMap/ns/m']);
    index.set('ns/b', ['Secret/ns/db']);
    assert.deepEqual(index.dependents('Secret/ns/db').sort(), ['ns/a', 'ns/b']);
    index.set('ns/a', ['ConfigMap/ns/other']);
    assert.deepEqual(index.dependents('Secret/ns/db'), ['ns/b']);
    assert.deepEqual(index.dependents('ConfigMap/ns/m'), []);
    index.remove('ns/b');
    assert.deepEqual(index.dependents('Secret/ns/db'), []);
    assert.equal(index.size, 1);
  });
});
