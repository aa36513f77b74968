/**
 * The spec.dir.oci step's side of a pull, against a recording stand-in for
 * the registry client: what the request carries (credentials, CA, plain
 * HTTP, the abort signal) only when the spec asks for it, the values kept
 * secret on any failure, and the refusals before any registry is asked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../kube/api-client';
import { OciError } from '../../oci/errors';
import type { PulledDirectory, PullRequest } from '../../oci/puller';
import { parseReference } from '../../oci/reference';
import { DOCKER_CONFIG_JSON, pullRequest, readOci, type OciDirectorySource, type OciSpec } from './read-oci';
import type { SecretObject } from './object-reader';
import { b64, reader, stepError } from './steps.test-kit';

/** A self-signed CA certificate (test data; its key is not kept). */
const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBezCCASGgAwIBAgIUOw0R9XQP4qapXb0Mux00n/LGDgAwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjEyMDQxMzI2MDlaGA8yMTI2MTExMDEz
MjYwOVowEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABPFKqSXwPpuF6ZQEe3oYMkUB6o/WCP6zGwdk6n2jJifjpl2zXo+gs/ijo1uZ
wpEn/6vPsjJzPrC0OyhIKCXdwoKjUzBRMB0GA1UdDgQWBBTlVZs3cNFQgB+UWSVC
xBl8oMBGkjAfBgNVHSMEGDAWgBTlVZs3cNFQgB+UWSVCxBl8oMBGkjAPBgNVHRMB
Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCne/1Ci+teZ5Op5T3UnV818ir6
PAnMKH8TnSAH+DQXzAIgFNAjFTgTWFofPgmePJErfw17z4+rbQy74vxH4u+DPYA=
-----END CERTIFICATE-----
`;
const REF = 'registry.example:5000/team/m:v1';

function dockerConfig(username: string, password: string, type: string | null = DOCKER_CONFIG_JSON): SecretObject {
  const data = { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'registry.example:5000': { auth: b64(`${username}:${password}`) } } })) };
  return type === null ? { data } : { type, data };
}

const oci = (over: Partial<OciSpec> = {}): OciSpec => ({ ref: REF, ...over });

/** The error a promise rejects with (failing the test when it resolves). */
function rejection(p: Promise<unknown>): Promise<Error & { secrets?: readonly string[] }> {
  return p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e as Error & { secrets?: readonly string[] },
  );
}

/** Records the requests; a pull answers with an empty directory, or fails with the error given. */
function recording(fail?: Error): OciDirectorySource & { requests: PullRequest[] } {
  const requests: PullRequest[] = [];
  return {
    requests,
    pull: (request) => {
      requests.push(request);
      if (fail !== undefined) return Promise.reject(fail);
      const pulled = { reference: parseReference(request.reference), digest: `sha256:${'a'.repeat(64)}`, files: [], storedBytes: 0, cached: false };
      return Promise.resolve(pulled as unknown as PulledDirectory);
    },
    resolve: () => Promise.resolve(`sha256:${'b'.repeat(64)}`),
  };
}

describe('pullRequest: what a pull carries', () => {
  it('no pull Secret, no CA, not insecure, no signal: the reference and the size limit only', async () => {
    const { request, secrets } = await pullRequest(oci(), 'ns', reader({}));
    assert.deepEqual(Object.keys(request).sort(), ['maxBytes', 'reference']);
    assert.equal(request.reference, REF);
    assert.equal(request.maxBytes, 64 * 1024 * 1024);
    assert.deepEqual(secrets, []);
  });

  it('each part the spec asks for, and only it', async () => {
    const signal = new AbortController().signal;
    const secrets = { pull: dockerConfig('robot', 'pw-1'), ca: { data: { 'ca.crt': b64(CA_PEM) } } };
    const withAll = await pullRequest(oci({ pullSecret: { name: 'pull' }, caSecretRef: { name: 'ca', key: 'ca.crt' }, maxSize: '1Mi' }), 'ns', reader({ secrets }), signal);
    assert.deepEqual(withAll.request.credentials, { username: 'robot', password: 'pw-1' });
    assert.equal(withAll.request.ca, CA_PEM);
    assert.equal(withAll.request.signal, signal);
    assert.equal(withAll.request.maxBytes, 1024 * 1024);
    assert.equal('insecure' in withAll.request, false);
    assert.deepEqual(withAll.secrets, ['pw-1']);
    const insecure = await pullRequest(oci({ insecure: true }), 'ns', reader({}));
    assert.equal(insecure.request.insecure, true);
    const secure = await pullRequest(oci({ insecure: false }), 'ns', reader({}));
    assert.equal('insecure' in secure.request, false);
  });

  it('a pull Secret without a type (some stand-ins) is read; an empty password is not a secret', async () => {
    const { request, secrets } = await pullRequest(oci({ pullSecret: { name: 'pull' } }), 'ns', reader({ secrets: { pull: dockerConfig('anon', '', null) } }));
    assert.deepEqual(request.credentials, { username: 'anon', password: '' });
    assert.deepEqual(secrets, []);
  });
});

describe('pullRequest: refusals before any registry is asked', () => {
  it('insecure and caSecretRef together', async () => {
    await assert.rejects(pullRequest(oci({ insecure: true, caSecretRef: { name: 'ca', key: 'ca.crt' } }), 'ns', reader({})), stepError('ReadingMigrationData', 'permanent', /^spec\.dir\.oci: insecure \(plain HTTP\) and caSecretRef \(TLS\) exclude each other$/));
  });

  it('a pull Secret without the .dockerconfigjson key, or of another type', async () => {
    await assert.rejects(pullRequest(oci({ pullSecret: { name: 'pull' } }), 'ns', reader({ secrets: { pull: { type: DOCKER_CONFIG_JSON, data: {} } } })), stepError('ReadingMigrationData', 'permanent', /^Secret ns\/pull \(spec\.dir\.oci\.pullSecret\) has no key \.dockerconfigjson$/));
    await assert.rejects(pullRequest(oci({ pullSecret: { name: 'pull' } }), 'ns', reader({ secrets: { pull: dockerConfig('u', 'p', 'Opaque') } })), stepError('ReadingMigrationData', 'permanent', /has type Opaque; a pull Secret has type kubernetes\.io\/dockerconfigjson/));
  });

  it('a Secret that cannot be read: named, the API error as the cause, retried unless the request was malformed', async () => {
    const api = new ApiError(503, 'ServiceUnavailable', 'busy');
    const err = await rejection(pullRequest(oci({ pullSecret: { name: 'pull' } }), 'ns', reader({ fail: api })));
    assert.ok(stepError('ReadingMigrationData', 'transient', /^reading Secret ns\/pull \(spec\.dir\.oci\.pullSecret\): .*busy/)(err), String(err));
    assert.equal(err.cause, api);
  });

  it('a failure after the password was read keeps it secret', async () => {
    const err = await rejection(pullRequest(oci({ pullSecret: { name: 'pull' }, caSecretRef: { name: 'gone', key: 'ca.crt' } }), 'ns', reader({ secrets: { pull: dockerConfig('robot', 'pw-2') } })));
    assert.ok(stepError('ReadingMigrationData', 'permanent', /^Secret "gone" not found/)(err), String(err));
    assert.deepEqual(err.secrets, ['pw-2']);
  });
});

describe('readOci: the registry\'s failures', () => {
  it('an error that is not the registry client\'s own: transient, naming the reference, kept as the cause, the password kept secret', async () => {
    const boom = new Error('socket closed');
    const source = recording(boom);
    const err = await rejection(readOci(oci({ pullSecret: { name: 'pull' } }), 'ns', reader({ secrets: { pull: dockerConfig('robot', 'pw-3') } }), { source }));
    assert.ok(stepError('ReadingMigrationData', 'transient', /^spec\.dir\.oci registry\.example:5000\/team\/m:v1: socket closed$/)(err), String(err));
    assert.equal(err.cause, boom);
    assert.deepEqual(err.secrets, ['pw-3']);
    assert.equal(source.requests.length, 1);
  });

  it('only an authentication failure names the pull Secret', async () => {
    const notFound = await rejection(readOci(oci({ pullSecret: { name: 'pull' } }), 'ns', reader({ secrets: { pull: dockerConfig('robot', 'pw') } }), { source: recording(new OciError('NotFound', 'manifest v1: not found', false)) }));
    assert.match(notFound.message, /^spec\.dir\.oci registry\.example:5000\/team\/m:v1: manifest v1: not found$/);
    const auth = await rejection(readOci(oci({ pullSecret: { name: 'pull' } }), 'ns', reader({ secrets: { pull: dockerConfig('robot', 'pw') } }), { source: recording(new OciError('Auth', 'unauthorized', false)) }));
    assert.match(auth.message, /unauthorized \(credentials from Secret ns\/pull, spec\.dir\.oci\.pullSecret\)$/);
  });
});
