/**
 * The port race of test servers, reproduced: the port freePort() found is
 * taken by someone else before the server binds it. The server must be
 * started again on a new port, and a readiness probe must not mistake the
 * port's new owner for our server.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { isPortTaken, ownsListeningPort, startOnFreePorts } from './free-port';
import { startProcess, waitUntilReady, type ServerProcess } from './server-process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server that takes its port on the command line, as mysqld or etcd do, and dies if it cannot bind it. */
function listenerProcess(port: number): ServerProcess {
  const script = "require('net').createServer().listen(Number(process.argv[1]), '127.0.0.1')";
  return startProcess(process.execPath, ['-e', script, String(port)], { dataDir: mkdtempSync(join(tmpdir(), 'free-port-test-')) });
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.unref(); // a failing test must not hang on it
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('starting a server on a free port', () => {
  it('the port taken before the server binds it: started again on a new port; the probe does not take the thief for our server', async () => {
    const tried: number[] = [];
    let thief: Server | undefined;
    const started = await startOnFreePorts(1, async ([port]) => {
      tried.push(port as number);
      // The race, made certain: another process binds the port first (on the first attempt only).
      if (tried.length === 1) thief = await occupy(port as number);
      const proc = listenerProcess(port as number);
      try {
        await waitUntilReady(proc, () => (ownsListeningPort(proc.child.pid, port as number) ? Promise.resolve() : Promise.reject(new Error('not listening yet'))), 'listener', 20_000);
      } catch (e) {
        await proc.stop();
        throw e;
      }
      return { proc, port: port as number };
    });
    try {
      assert.equal(tried.length, 2, 'a second attempt');
      assert.notEqual(started.port, tried[0]);
      assert.ok(ownsListeningPort(started.proc.child.pid, started.port));
      assert.ok(!ownsListeningPort(started.proc.child.pid, tried[0] as number), 'the taken port is the thief\'s');
      assert.ok(ownsListeningPort(process.pid, tried[0] as number), 'and the check sees the thief');
    } finally {
      await started.proc.stop();
      thief?.close();
    }
  });

  it('any other start failure is thrown at once, without a new attempt', async () => {
    let attempts = 0;
    const broken = new Error('postgres exited during start-up:\nFATAL: data directory has wrong ownership');
    await assert.rejects(
      startOnFreePorts(1, () => {
        attempts++;
        return Promise.reject(broken);
      }),
      (e) => e === broken,
    );
    assert.equal(attempts, 1);
  });

  it('gives up after a bounded number of attempts', async () => {
    let attempts = 0;
    await assert.rejects(
      startOnFreePorts(2, (ports) => {
        attempts++;
        assert.equal(ports.length, 2);
        return Promise.reject(new Error('etcd exited during start-up:\nlisten tcp 127.0.0.1:1: bind: address already in use'));
      }, 3),
      /address already in use/,
    );
    assert.equal(attempts, 3);
  });

  it('recognises the bind errors of each server', () => {
    for (const text of [
      'listen tcp 127.0.0.1:2379: bind: address already in use', // etcd, kube-apiserver
      'LOG:  could not bind IPv4 address "127.0.0.1": Address already in use', // postgres
      "[ERROR] [MY-010262] [Server] Can't start server: Bind on TCP/IP port: Address already in use", // mysqld
      "Can't start server: Bind on TCP/IP port. Got error: 98: Address already in use", // MariaDB
      'Error: listen EADDRINUSE: address already in use 127.0.0.1:5432', // Node
    ]) {
      assert.ok(isPortTaken(new Error(`x exited during start-up:\n${text}`)), text);
    }
    assert.ok(!isPortTaken(new Error('Access denied for user')));
  });
});
