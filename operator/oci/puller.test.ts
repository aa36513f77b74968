/**
 * The OCI client against a fake registry on 127.0.0.1: artifacts laid out as
 * oras pushes them, auth (Basic, the Bearer token flow), TLS with a CA,
 * plain HTTP, digests and sizes checked, limits, redirects, the cache.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DigestMismatchError, OciError } from './errors';
import { FakeRegistry, makeTlsMaterial, sha256, tarOf } from './fake-registry.test-kit';
import { MEDIA_TYPES } from './manifest';
import { OciPuller, type PullRequest } from './puller';

const MiB = 1024 * 1024;
const FILES = [
  { title: '1_a.sql', content: 'CREATE TABLE a (id int);\n' },
  { title: '2_b.sql', content: 'CREATE TABLE b (id int);\n' },
  { title: 'atlas.sum', content: 'h1:x=\n' },
];

function names(files: readonly { name: string }[]): string[] {
  return files.map((f) => f.name).sort();
}

function ociError(code: string, message: RegExp, retryable?: boolean): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof OciError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    if (retryable !== undefined) assert.equal(e.retryable, retryable, e.message);
    return true;
  };
}

describe('OciPuller, anonymous plain HTTP', () => {
  const registry = new FakeRegistry();
  const puller = new OciPuller();
  const request = (ref: string, extra: Partial<PullRequest> = {}): PullRequest => ({ reference: `${registry.host}/${ref}`, insecure: true, maxBytes: 64 * MiB, ...extra });
  before(() => registry.start());
  after(async () => {
    puller.close();
    await registry.stop();
  });

  it('pulls one layer per file, named by title, and records the manifest digest', async () => {
    const digest = registry.push('team/files', 'v1', FILES);
    const pulled = await puller.pull(request('team/files:v1'));
    assert.equal(pulled.digest, digest);
    assert.deepEqual(names(pulled.files), ['1_a.sql', '2_b.sql', 'atlas.sum']);
    assert.equal(pulled.files.find((f) => f.name === '1_a.sql')?.content.toString(), 'CREATE TABLE a (id int);\n');
    assert.match(pulled.files[0]?.origin ?? '', /^layer \d \("[^"]+", sha256:[a-f0-9]{64}\)$/);
    assert.equal(pulled.cached, false);
  });

  it('unpacks a folder layer (tar+gzip) with its top folder, ignoring sub-folders and other entries', async () => {
    const tar = tarOf([
      { path: 'migrations/', type: '5' },
      { path: 'migrations/1_a.sql', content: 'SELECT 1;\n' },
      { path: 'migrations/atlas.sum', content: 'h1:y=\n' },
      { path: 'migrations/nested/9_z.sql', content: 'SELECT 9;\n' },
      { path: `migrations/${'x'.repeat(120)}.sql`, content: 'SELECT 2;\n' },
    ]);
    registry.push('team/folder', 'v1', [{ title: 'migrations', content: tar, unpack: true }]);
    const pulled = await puller.pull(request('team/folder:v1'));
    assert.deepEqual(names(pulled.files), ['1_a.sql', 'atlas.sum', `${'x'.repeat(120)}.sql`]);
  });

  it('unpacks a folder layer without a top folder', async () => {
    const tar = tarOf([
      { path: './1_a.sql', content: 'SELECT 1;\n' },
      { path: './atlas.sum', content: 'h1:y=\n' },
    ]);
    registry.push('team/flat', 'v1', [{ title: '.', content: tar, unpack: true }]);
    assert.deepEqual(names((await puller.pull(request('team/flat:v1'))).files), ['1_a.sql', 'atlas.sum']);
  });

  it('strips the one folder file titles share (oras push ref migrations/*.sql migrations/atlas.sum)', async () => {
    registry.push('team/paths', 'v1', FILES.map((f) => ({ ...f, title: `migrations/${f.title}` })));
    assert.deepEqual(names((await puller.pull(request('team/paths:v1'))).files), ['1_a.sql', '2_b.sql', 'atlas.sum']);
  });

  it('refuses files only in several folders, a file in two layers, a link, an untitled layer, a path leaving the folder', async () => {
    registry.push('bad/folders', 'v1', [
      { title: 'a/1.sql', content: 'x' },
      { title: 'b/2.sql', content: 'y' },
    ]);
    await assert.rejects(puller.pull(request('bad/folders:v1')), ociError('Format', /no file at the top of the artifact, only folders \(a, b\)/));
    registry.push('bad/twice', 'v1', [
      { title: '1.sql', content: 'x' },
      { title: '.', content: tarOf([{ path: './1.sql', content: 'y' }]), unpack: true },
    ]);
    await assert.rejects(puller.pull(request('bad/twice:v1')), ociError('Format', /file "1.sql" is in both layer 1 .* and layer 2/));
    registry.push('bad/link', 'v1', [{ title: 'm', content: tarOf([{ path: 'm/1.sql', type: '2', link: '/etc/passwd' }, { path: 'm/atlas.sum', content: 'x' }]), unpack: true }]);
    await assert.rejects(puller.pull(request('bad/link:v1')), ociError('Format', /"1.sql" in layer 1 .* is a link/));
    registry.push('bad/untitled', 'v1', [{ title: '', content: 'x' }]);
    await assert.rejects(puller.pull(request('bad/untitled:v1')), ociError('Format', /layer 1 \(sha256:[a-f0-9]+\) has no org.opencontainers.image.title annotation/));
    registry.push('bad/escape', 'v1', [{ title: '../1.sql', content: 'x' }]);
    await assert.rejects(puller.pull(request('bad/escape:v1')), ociError('Format', /path "..\/1.sql" leaves the directory/));
  });

  it('refuses an image index with a clear error', async () => {
    const inner = registry.push('team/multi', undefined, FILES);
    registry.putManifest('team/multi', 'v1', { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: inner, size: 1 }] }, MEDIA_TYPES.ociIndex);
    await assert.rejects(puller.pull(request('team/multi:v1')), ociError('Format', /is an image index \(application\/vnd.oci.image.index.v1\+json\), not a single artifact/));
    // One of its manifests, by digest, is fine.
    assert.equal((await puller.pull(request(`team/multi@${inner}`))).digest, inner);
  });

  it('names the blob and both digests when a blob does not match its digest', async () => {
    registry.push('team/tampered', 'v1', FILES);
    const layer = sha256(FILES[0]?.content ?? '');
    const evil = Buffer.from('DROP TABLE a;\n'.padEnd(FILES[0]?.content.length ?? 0));
    registry.tamper.set(layer, evil);
    try {
      await assert.rejects(puller.pull(request('team/tampered:v1')), (e: unknown) => {
        assert.ok(e instanceof DigestMismatchError);
        assert.equal(e.expected, layer);
        assert.equal(e.actual, sha256(evil));
        assert.match(e.message, new RegExp(`blob of layer 1 \\("1_a.sql", ${layer}\\): the registry sent content with digest ${sha256(evil)}, expected ${layer}`));
        return true;
      });
    } finally {
      registry.tamper.clear();
    }
  });

  it('cuts off a blob longer than its descriptor says', async () => {
    registry.push('team/long', 'v1', FILES);
    const layer = sha256(FILES[1]?.content ?? '');
    registry.tamper.set(layer, Buffer.alloc(10_000, 'x'));
    try {
      await assert.rejects(puller.pull(request('team/long:v1')), ociError('Size', /blob of layer 2 .*\(declared 25 bytes\) is larger than 25 bytes/));
    } finally {
      registry.tamper.clear();
    }
  });

  it('refuses a manifest whose bytes do not hash to the digest asked for', async () => {
    const real = registry.push('team/forged', 'v1', FILES);
    const other = `sha256:${'0'.repeat(64)}`;
    registry.putManifest('team/forged', undefined, {});
    // Serve the real manifest under another digest's name.
    (registry as unknown as { manifests: Map<string, unknown> }).manifests.set(`team/forged@${other}`, (registry as unknown as { manifests: Map<string, unknown> }).manifests.get(`team/forged@${real}`));
    await assert.rejects(puller.pull(request(`team/forged@${other}`)), (e: unknown) => e instanceof DigestMismatchError && e.expected === other && e.actual === real);
  });

  it('checks the size limit on the declared sizes before any blob, and again while unpacking', async () => {
    registry.push('team/big', 'v1', [{ title: '1.sql', content: Buffer.alloc(2048, 'a') }]);
    const before = registry.log.length;
    await assert.rejects(puller.pull(request('team/big:v1', { maxBytes: 1000 })), ociError('Size', /layer\(s\) total 2048 bytes, more than the 1000-byte limit \(spec.dir.oci.maxSize\)/, false));
    assert.equal(registry.log.slice(before).filter((l) => l.path.includes('/blobs/')).length, 0);
    const bomb = tarOf([{ path: 'm/1.sql', content: Buffer.alloc(4 * MiB, 'a') }]);
    registry.push('team/bomb', 'v1', [{ title: 'm', content: bomb, unpack: true }]);
    await assert.rejects(puller.pull(request('team/bomb:v1', { maxBytes: MiB })), ociError('Size', /unpacks to more than the 1048576-byte limit/));
  });

  it('resolves a tag with one HEAD, by GET when the registry gives no digest header', async () => {
    const digest = registry.push('team/head', 'v1', FILES);
    const before = registry.log.length;
    assert.equal(await puller.resolve(request('team/head:v1')), digest);
    assert.deepEqual(registry.log.slice(before).map((l) => l.method), ['HEAD']);
    registry.omitDigestHeader = true;
    try {
      assert.equal(await puller.resolve(request('team/head:v1')), digest);
    } finally {
      registry.omitDigestHeader = false;
    }
  });

  it('answers a pulled digest from the cache: a tag costs one HEAD, a digest one HEAD', async () => {
    const digest = registry.push('team/cached', 'v1', FILES);
    await puller.pull(request('team/cached:v1'));
    const before = registry.log.length;
    const again = await puller.pull(request('team/cached:v1'));
    assert.equal(again.cached, true);
    assert.deepEqual(registry.log.slice(before).map((l) => `${l.method} ${l.path}`), ['HEAD /v2/team/cached/manifests/v1']);
    const byDigest = await puller.pull(request(`team/cached@${digest}`));
    assert.equal(byDigest.cached, true);
    assert.equal(registry.log.slice(before).length, 2);
    await assert.rejects(puller.pull(request('team/cached:v1', { maxBytes: 10 })), ociError('Size', /more than the 10-byte limit/));
  });

  it('pulls a moved tag anew', async () => {
    const first = registry.push('team/moving', 'v1', FILES);
    assert.equal((await puller.pull(request('team/moving:v1'))).digest, first);
    const second = registry.push('team/moving', 'v1', [...FILES, { title: '3_c.sql', content: 'SELECT 3;\n' }]);
    const pulled = await puller.pull(request('team/moving:v1'));
    assert.equal(pulled.digest, second);
    assert.equal(pulled.files.length, 4);
  });

  it('reports a missing tag as retryable, a server error as retryable, a 400 as not', async () => {
    await assert.rejects(puller.pull(request('team/absent:v9')), ociError('NotFound', /manifest 127.0.0.1:\d+\/team\/absent:v9: not found \(404\)/, true));
    registry.failWith = 503;
    try {
      await assert.rejects(puller.pull(request('team/files:v1')), ociError('Registry', /manifest .*: the registry answered 503$/, true));
      registry.failWith = 400;
      await assert.rejects(puller.pull(request('team/files:v1')), ociError('Registry', /answered 400/, false));
    } finally {
      registry.failWith = undefined;
    }
  });

  it('refuses a reference without a registry host or a tag', async () => {
    await assert.rejects(puller.pull({ reference: 'team/files:v1', maxBytes: MiB }), ociError('Reference', /does not start with a registry host/));
    await assert.rejects(puller.pull({ reference: `${registry.host}/team/files`, maxBytes: MiB }), ociError('Reference', /name a tag/));
  });

  it('reports a registry that does not listen as a retryable transport error', async () => {
    await assert.rejects(puller.pull({ reference: '127.0.0.1:1/team/files:v1', insecure: true, maxBytes: MiB }), ociError('Transport', /127.0.0.1:1: .*ECONNREFUSED/, true));
  });
});

describe('OciPuller, auth', () => {
  it('Basic: asks for credentials, refuses wrong ones, pulls with right ones', async () => {
    const registry = await new FakeRegistry({ auth: { scheme: 'basic', username: 'u', password: 'p4ss' } }).start();
    const puller = new OciPuller();
    try {
      registry.push('team/x', 'v1', FILES);
      const req = { reference: `${registry.host}/team/x:v1`, insecure: true, maxBytes: MiB };
      await assert.rejects(puller.pull(req), ociError('Auth', /manifest 127.0.0.1:\d+\/team\/x:v1: the registry requires credentials \(401\)/, false));
      await assert.rejects(puller.pull({ ...req, credentials: { username: 'u', password: 'wrong' } }), ociError('Auth', /the registry refused the credentials/));
      assert.equal((await puller.pull({ ...req, credentials: { username: 'u', password: 'p4ss' } })).files.length, 3);
    } finally {
      puller.close();
      await registry.stop();
    }
  });

  it('Bearer: fetches a token from the realm with the credentials and the scope, then pulls with it', async () => {
    const registry = await new FakeRegistry({ auth: { scheme: 'bearer', username: 'u', password: 'p4ss' } }).start();
    const puller = new OciPuller();
    try {
      registry.push('team/x', 'v1', FILES);
      const req = { reference: `${registry.host}/team/x:v1`, insecure: true, maxBytes: MiB };
      await assert.rejects(puller.pull(req), ociError('Auth', /the token service http:\/\/127.0.0.1:\d+ refused anonymous access \(401: UNAUTHORIZED: bad credentials\)/));
      await assert.rejects(puller.pull({ ...req, credentials: { username: 'u', password: 'no' } }), ociError('Auth', /refused the credentials/));
      registry.log.length = 0;
      assert.equal((await puller.pull({ ...req, credentials: { username: 'u', password: 'p4ss' } })).files.length, 3);
      const token = registry.requests('GET', '/token')[0];
      assert.equal(token?.path, '/token?service=fake-registry&scope=repository%3Ateam%3Apull');
      assert.equal(token?.authorization, `Basic ${Buffer.from('u:p4ss').toString('base64')}`);
      assert.ok(registry.requests('GET', '/blobs/').every((l) => l.authorization?.startsWith('Bearer ') === true));
      assert.equal(registry.requests('GET', '/token').length, 1, 'one token for the whole pull');
    } finally {
      puller.close();
      await registry.stop();
    }
  });

  it('follows blob redirects to another origin without sending Authorization there', async () => {
    const registry = await new FakeRegistry({ auth: { scheme: 'basic', username: 'u', password: 'p' } }).start();
    const store = await new FakeRegistry().start();
    const puller = new OciPuller();
    try {
      registry.push('team/x', 'v1', FILES);
      for (const f of FILES) store.putBlob(Buffer.from(f.content));
      registry.redirectBlobsTo = `http://${store.host}`;
      const pulled = await puller.pull({ reference: `${registry.host}/team/x:v1`, insecure: true, maxBytes: MiB, credentials: { username: 'u', password: 'p' } });
      assert.equal(pulled.files.length, 3);
      assert.equal(store.log.length, 3);
      assert.ok(store.log.every((l) => l.authorization === undefined));
    } finally {
      puller.close();
      await registry.stop();
      await store.stop();
    }
  });
});

describe('OciPuller, TLS', () => {
  it('trusts the given CA besides the system roots; without it, names caSecretRef; plain HTTP to TLS names insecure', async () => {
    const tls = makeTlsMaterial();
    const registry = await new FakeRegistry({}, { key: tls.key, cert: tls.cert }).start();
    const puller = new OciPuller();
    try {
      registry.push('team/x', 'v1', FILES);
      const req = { reference: `${registry.host}/team/x:v1`, maxBytes: MiB };
      await assert.rejects(puller.pull(req), ociError('Tls', /TLS to 127.0.0.1:\d+ failed: .*give the registry's CA in spec.dir.oci.caSecretRef/, false));
      assert.equal((await puller.pull({ ...req, ca: tls.ca })).files.length, 3);
      await assert.rejects(puller.pull({ ...req, insecure: true }), (e: unknown) => e instanceof OciError);
    } finally {
      puller.close();
      await registry.stop();
    }
  });

  it('says so when TLS meets a plain HTTP registry', async () => {
    const registry = await new FakeRegistry().start();
    const puller = new OciPuller();
    try {
      registry.push('team/x', 'v1', FILES);
      await assert.rejects(puller.pull({ reference: `${registry.host}/team/x:v1`, maxBytes: MiB }), ociError('Tls', /does the registry speak plain HTTP \(spec.dir.oci.insecure\)\?/));
    } finally {
      puller.close();
      await registry.stop();
    }
  });
});
