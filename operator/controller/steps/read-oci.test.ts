/**
 * The spec.dir.oci step against a fake registry (operator/oci's test kit)
 * and an in-memory stand-in for Secrets: credentials, CA, limits, the
 * messages each failure gives, and the digest and tag check it hands on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AtlasMigrationSpec } from '../../api/generated/atlasmigration-types';
import { directoryFromEntries } from '../../migrate/directory';
import { FakeRegistry } from '../../oci/fake-registry.test-kit';
import { OciPuller } from '../../oci/puller';
import type { ObjectReader, SecretObject } from './object-reader';
import { readDirectory } from './read-directory';
import { DOCKER_CONFIG_JSON, type OciSpec } from './read-oci';
import { StepError } from './step-error';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const FILES = { '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n' };
const SUM = directoryFromEntries(Object.entries(FILES), 'x').computedSum().format();

function reader(secrets: Record<string, SecretObject>): ObjectReader {
  return { secret: (_ns, name) => Promise.resolve(secrets[name]), configMap: () => Promise.resolve(undefined) };
}

function dockerConfig(host: string, username: string, password: string): SecretObject {
  return { type: DOCKER_CONFIG_JSON, data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { [host]: { auth: b64(`${username}:${password}`) } } })) } };
}

function stepError(kind: string, message: RegExp, outsideCluster?: boolean): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof StepError, String(e));
    assert.equal(e.reason, 'ReadingMigrationData');
    assert.match(e.message, message);
    assert.equal(e.kind, kind, e.message);
    if (outsideCluster !== undefined) assert.equal(e.outsideCluster, outsideCluster);
    return true;
  };
}

describe('readDirectory from spec.dir.oci', () => {
  const registry = new FakeRegistry({ auth: { scheme: 'bearer', username: 'robot', password: 's3cret-pass' } });
  const puller = new OciPuller();
  const access = { source: puller };
  const spec = (oci: Partial<OciSpec>): AtlasMigrationSpec => ({ url: 'sqlite://x', dir: { oci: { ref: `${registry.host}/team/m:v1`, insecure: true, pullSecret: { name: 'pull' }, ...oci } } });
  let good: ObjectReader;
  before(async () => {
    await registry.start();
    good = reader({ pull: dockerConfig(registry.host, 'robot', 's3cret-pass') });
    registry.push('team/m', 'v1', [...Object.entries(FILES).map(([title, content]) => ({ title, content })), { title: 'atlas.sum', content: SUM }]);
  });
  after(async () => {
    puller.close();
    await registry.stop();
  });

  it('reads the directory, with the manifest digest, each file\'s layer, and the password to scrub', async () => {
    const read = await readDirectory(spec({}), 'ns', good, access);
    assert.deepEqual(read.directory.files.map((f) => f.name), ['1_a.sql', '2_b.sql']);
    assert.match(read.digest ?? '', /^sha256:[a-f0-9]{64}$/);
    assert.match(read.origin.get('1_a.sql') ?? '', new RegExp(`^OCI artifact 127.0.0.1:\\d+/team/m:v1@${read.digest} layer 1 \\("1_a.sql", sha256:`));
    assert.deepEqual(read.secrets, ['s3cret-pass']);
    assert.equal(await read.moved?.(), false);
    registry.push('team/m', 'v1', [...Object.entries(FILES).map(([title, content]) => ({ title, content })), { title: 'atlas.sum', content: SUM }, { title: 'notes.txt', content: 'moved' }]);
    assert.equal(await read.moved?.(), true);
    const byDigest = await readDirectory(spec({ ref: `${registry.host}/team/m@${read.digest}` }), 'ns', good, access);
    assert.equal(byDigest.moved, undefined, 'a digest never moves');
  });

  it('names the Secret when credentials are missing, of the wrong type, or have no entry for the registry', async () => {
    await assert.rejects(readDirectory(spec({}), 'ns', reader({}), access), stepError('permanent', /^Secret "pull" not found in namespace "ns" \(spec.dir.oci.pullSecret\)$/, false));
    await assert.rejects(readDirectory(spec({}), 'ns', reader({ pull: { type: 'Opaque', data: {} } }), access), stepError('permanent', /Secret ns\/pull \(spec.dir.oci.pullSecret\) has type Opaque; a pull Secret has type kubernetes.io\/dockerconfigjson/));
    await assert.rejects(readDirectory(spec({}), 'ns', reader({ pull: dockerConfig('other.example.com', 'a', 'b') }), access), stepError('permanent', /Secret ns\/pull \(spec.dir.oci.pullSecret\) has no credentials for the registry 127.0.0.1:\d+/));
    await assert.rejects(readDirectory(spec({}), 'ns', reader({ pull: { type: DOCKER_CONFIG_JSON, data: { '.dockerconfigjson': b64('nope') } } }), access), stepError('permanent', /\.dockerconfigjson: not JSON/));
  });

  it('names the reference and the Secret when the registry refuses, and says to set one when there is none', async () => {
    const refused = reader({ pull: dockerConfig(registry.host, 'robot', 'wrong-password') });
    await assert.rejects(readDirectory(spec({}), 'ns', refused, access), (e: unknown) => {
      stepError('permanent', /^spec.dir.oci 127.0.0.1:\d+\/team\/m:v1: .*refused the credentials.* \(credentials from Secret ns\/pull, spec.dir.oci.pullSecret\)$/, true)(e);
      assert.deepEqual((e as StepError).secrets, ['wrong-password']);
      return true;
    });
    await assert.rejects(readDirectory(spec({ pullSecret: undefined }), 'ns', good, access), stepError('permanent', /refused anonymous access.*; no pull Secret is set: name a kubernetes.io\/dockerconfigjson Secret in spec.dir.oci.pullSecret$/, true));
  });

  it('reports a tag not pushed yet as transient, a bad reference and a bad size as permanent', async () => {
    await assert.rejects(readDirectory(spec({ ref: `${registry.host}/team/m:v404` }), 'ns', good, access), stepError('transient', /team\/m:v404: not found \(404\)/, true));
    await assert.rejects(readDirectory(spec({ ref: 'team/m:v1' }), 'ns', good, access), stepError('permanent', /does not start with a registry host/, false));
    await assert.rejects(readDirectory(spec({ maxSize: '12XB' }), 'ns', good, access), stepError('permanent', /^spec.dir.oci.maxSize: maxSize "12XB" is not a size/));
    await assert.rejects(readDirectory(spec({ maxSize: 100 }), 'ns', good, access), stepError('permanent', /more than the 100-byte limit \(spec.dir.oci.maxSize\)/, true));
  });

  it('verifies atlas.sum and names the layer that holds it', async () => {
    registry.push('team/badsum', 'v1', [...Object.entries(FILES).map(([title, content]) => ({ title, content: content + '-- edited\n' })), { title: 'atlas.sum', content: SUM }]);
    await assert.rejects(readDirectory(spec({ ref: `${registry.host}/team/badsum:v1` }), 'ns', good, access), stepError('permanent', /checksum mismatch.*atlas.sum line \d+ in OCI artifact 127.0.0.1:\d+\/team\/badsum:v1@sha256:[a-f0-9]+ layer 3 \("atlas.sum"/));
  });

  it('reads the CA Secret and refuses one that is missing or not PEM', async () => {
    await assert.rejects(readDirectory(spec({ insecure: false, caSecretRef: { name: 'ca', key: 'ca.crt' } }), 'ns', good, access), stepError('permanent', /^Secret "ca" not found in namespace "ns" \(spec.dir.oci.caSecretRef\)$/));
    const withCa = reader({ pull: dockerConfig(registry.host, 'robot', 's3cret-pass'), ca: { data: { 'ca.crt': b64('not a certificate') } } });
    await assert.rejects(readDirectory(spec({ insecure: false, caSecretRef: { name: 'ca', key: 'ca.crt' } }), 'ns', withCa, access), stepError('permanent', /Secret ns\/ca \(spec.dir.oci.caSecretRef\): key "ca.crt" is not a PEM certificate/));
    await assert.rejects(readDirectory(spec({ insecure: false, caSecretRef: { name: 'ca', key: 'other' } }), 'ns', withCa, access), stepError('permanent', /Secret ns\/ca \(spec.dir.oci.caSecretRef\) has no key "other"/));
  });

  it('fails clearly without a registry client', async () => {
    await assert.rejects(readDirectory(spec({}), 'ns', good), stepError('permanent', /spec.dir.oci: this process has no registry client/));
  });
});
