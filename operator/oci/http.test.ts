/**
 * The wire's retry of a kept socket the registry closed while it sat idle:
 * a server that drops a connection as a request arrives on it (what a
 * registry's idle timeout does when it fires just as the socket is reused).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, beforeEach, it } from 'node:test';
import { OciError } from './errors';
import { readText, Transport } from './http';

let server: Server;
let base = '';
/** Requests seen per connection. */
const served = new Map<Socket, number>();
let total = 0;
/** Whether to drop the connection instead of answering: given the request's number on its connection and overall. */
let drop: (onConnection: number, overall: number) => boolean = () => false;

before(async () => {
  server = createServer((req, res) => {
    const n = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, n);
    total++;
    if (drop(n, total)) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`answer ${n}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(() => server.close());

beforeEach(() => {
  served.clear();
  total = 0;
});

async function get(t: Transport, method: 'GET' | 'HEAD' = 'GET'): Promise<string> {
  return readText(await t.send(new URL(`${base}/v2/`), { method }));
}

it('a kept socket dropped by the server as it is reused: sent again once, on a new connection, and answered', async () => {
  drop = (onConnection) => onConnection === 2;
  const t = new Transport();
  try {
    assert.equal(await get(t), 'answer 1');
    // The first answer's socket went back to the pool; the next request reuses it and the server drops it.
    assert.equal(await get(t, 'HEAD'), '');
    assert.equal(served.size, 2, 'the retry came on a second connection');
    assert.equal(total, 3);
  } finally {
    t.close();
  }
});

it('a retry that fails too is reported, and not sent a third time', async () => {
  drop = (_, overall) => overall > 1;
  const t = new Transport();
  try {
    assert.equal(await get(t), 'answer 1');
    await assert.rejects(get(t), (e: unknown) => e instanceof OciError && e.code === 'Transport' && e.retryable && /ECONNRESET|socket hang up/.test(e.message));
    assert.equal(total, 3, 'the stale try and one retry');
  } finally {
    t.close();
  }
});

it('a new connection that fails is not sent again', async () => {
  drop = () => true;
  const t = new Transport();
  try {
    await assert.rejects(get(t), (e: unknown) => e instanceof OciError && /ECONNRESET|socket hang up/.test(e.message));
    assert.equal(total, 1);
  } finally {
    t.close();
  }
});
