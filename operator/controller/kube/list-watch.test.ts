/**
 * ListWatch against a scripted HTTP server standing in for the API server:
 * what the framework's watch got wrong (exit on error, crash on an ERROR
 * event, no initial list, nothing after a dead stream) must not happen.
 * The real API server is exercised by the e2e tests.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from './api-client';
import { ListWatch, type KubeObject, type WatchEventType } from './list-watch';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let port = 0;
let handle: Handler = (_req, res) => res.end();

before(async () => {
  server = createServer((req, res) => handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function client(): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }, { name: 'u', token: 't' });
  return new KubeClient(kc);
}

function obj(name: string, rv: string, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv, ...extra } };
}

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

function collector(): { events: string[]; onEvent: (t: WatchEventType, o: KubeObject) => void } {
  const events: string[] = [];
  return { events, onEvent: (t, o) => events.push(`${t} ${o.metadata.name}@${o.metadata.resourceVersion}`) };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ListWatch', () => {
  it('lists first, then watches from the list\'s resourceVersion; bookmarks move it on', async () => {
    const watches: string[] = [];
    let served = 0;
    handle = (req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (url.searchParams.get('watch') !== '1') {
        res.end(JSON.stringify({ metadata: { resourceVersion: '10' }, items: [obj('a', '5'), obj('b', '7')] }));
        return;
      }
      watches.push(url.searchParams.get('resourceVersion') ?? '');
      if (served++ === 0) {
        res.write(JSON.stringify({ type: 'MODIFIED', object: obj('a', '11') }) + '\n');
        res.write(JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } }) + '\n');
        res.end(JSON.stringify({ type: 'DELETED', object: obj('b', '12') }).slice(0, 10)); // a torn last line is ignored
      } else {
        res.end();
      }
    };
    const c = collector();
    const w = new ListWatch({ client: client(), resource: { group: '', version: 'v1', plural: 'configmaps' }, onEvent: c.onEvent, log: quiet });
    w.start();
    await w.synced;
    await until(() => watches.length >= 2, 'a second watch');
    await w.stop();
    assert.deepEqual(c.events.slice(0, 3), ['ADDED a@5', 'ADDED b@7', 'MODIFIED a@11']);
    assert.deepEqual(watches.slice(0, 2), ['10', '15']);
    assert.equal(w.get('ns/a')?.metadata.resourceVersion, '11');
  });

  it('an ERROR event with 410 Gone re-lists and reports what changed meanwhile, deletions included', async () => {
    let lists = 0;
    handle = (req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (url.searchParams.get('watch') !== '1') {
        lists++;
        const items = lists === 1 ? [obj('a', '1'), obj('b', '2')] : [obj('a', '30'), obj('c', '31')];
        res.end(JSON.stringify({ metadata: { resourceVersion: String(lists * 100) }, items }));
        return;
      }
      if (lists === 1) res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } }) + '\n');
      else setTimeout(() => res.end(), 50);
    };
    const c = collector();
    const w = new ListWatch({ client: client(), resource: { group: '', version: 'v1', plural: 'configmaps' }, onEvent: c.onEvent, log: quiet });
    w.start();
    await until(() => lists >= 2, 'a re-list');
    await until(() => c.events.length >= 5, 'events after the re-list');
    await w.stop();
    assert.deepEqual(c.events, ['ADDED a@1', 'ADDED b@2', 'DELETED b@2', 'MODIFIED a@30', 'ADDED c@31']);
    assert.equal(w.restarts, 0, 'an expired watch is not an error');
  });

  it('server errors and refused connections retry with backoff and never end the loop', async () => {
    let calls = 0;
    handle = (req, res) => {
      calls++;
      if (calls <= 3) {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'etcd is down' }));
        return;
      }
      const url = new URL(req.url ?? '', 'http://x');
      if (url.searchParams.get('watch') !== '1') res.end(JSON.stringify({ metadata: { resourceVersion: '1' }, items: [obj('a', '1')] }));
      else setTimeout(() => res.end(), 50);
    };
    const warnings: string[] = [];
    const c = collector();
    const w = new ListWatch({
      client: client(),
      resource: { group: '', version: 'v1', plural: 'configmaps' },
      onEvent: c.onEvent,
      log: { ...quiet, warn: (o) => warnings.push(String((o as { err: string }).err)) },
      backoff: { initialMs: 5, maxMs: 20 },
    });
    w.start();
    await w.synced;
    await w.stop();
    assert.equal(w.restarts, 3);
    assert.match(warnings[0] ?? '', /503 ServiceUnavailable: etcd is down/);
    assert.deepEqual(c.events, ['ADDED a@1']);
  });

  it('a handler that throws does not stop the stream', async () => {
    handle = (req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (url.searchParams.get('watch') !== '1') res.end(JSON.stringify({ metadata: { resourceVersion: '1' }, items: [obj('a', '1'), obj('b', '2')] }));
      else setTimeout(() => res.end(), 50);
    };
    const seen: string[] = [];
    const w = new ListWatch({
      client: client(),
      resource: { group: '', version: 'v1', plural: 'configmaps' },
      onEvent: (_t, o) => {
        seen.push(o.metadata.name);
        if (o.metadata.name === 'a') throw new Error('handler bug');
      },
      log: quiet,
    });
    w.start();
    await w.synced;
    await w.stop();
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('metadata-only watches ask for PartialObjectMetadata and keep no annotations (they can hold Secret content)', async () => {
    const accepts: string[] = [];
    handle = (req, res) => {
      accepts.push(String(req.headers.accept));
      const url = new URL(req.url ?? '', 'http://x');
      const secret = { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: { name: 's', namespace: 'ns', resourceVersion: '3', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"url":"c2VjcmV0"}}' } } };
      if (url.searchParams.get('watch') !== '1') res.end(JSON.stringify({ metadata: { resourceVersion: '3' }, items: null }));
      else res.end(JSON.stringify({ type: 'ADDED', object: secret }) + '\n');
    };
    const kept: KubeObject[] = [];
    const w = new ListWatch({ client: client(), resource: { group: '', version: 'v1', plural: 'secrets' }, metadataOnly: true, onEvent: (_t, o) => kept.push(o), log: quiet });
    w.start();
    await until(() => kept.length > 0, 'an event');
    await w.stop();
    assert.match(accepts[0] ?? '', /^application\/json;as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1/);
    assert.match(accepts[1] ?? '', /^application\/json;as=PartialObjectMetadata;g=meta\.k8s\.io;v=v1/);
    assert.deepEqual(kept[0], { metadata: { name: 's', namespace: 'ns', resourceVersion: '3' } });
    assert.ok(!JSON.stringify(w.objects()).includes('c2VjcmV0'));
  });
});
