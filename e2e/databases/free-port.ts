/**
 * Ports for test servers. mysqld, postgres, etcd and kube-apiserver take
 * their port on the command line, so a port cannot be bound here and handed
 * over: it is found free, released, and bound by the server a moment later.
 * In that moment another process (a parallel test file's server, or any
 * outgoing connection's ephemeral port) can take it. startOnFreePorts()
 * therefore starts the server again on new ports when its start failed
 * because a port was taken, and ownsListeningPort() lets a readiness probe
 * tell our server from another one that answers on the same port.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (the kernel picks it). Start servers with startOnFreePorts(): the port can be taken before they bind it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The start failed because a port was taken: the bind errors of Go servers
 * (etcd, kube-apiserver: "bind: address already in use"), postgres ("could
 * not bind … Address already in use"), mysqld/MariaDB ("Bind on TCP/IP
 * port: Address already in use") and Node (EADDRINUSE). waitUntilReady()
 * puts a server's output in its error, so the message holds them.
 */
export function isPortTaken(e: unknown): boolean {
  const text = e instanceof Error ? e.message : String(e);
  return /address already in use|EADDRINUSE/i.test(text);
}

export const PORT_ATTEMPTS = 5;

/**
 * Runs `start` with `count` free ports; when it fails because one of them
 * was taken meanwhile, runs it again with new ones (at most `attempts`
 * times). `start` must clean up what it started before it throws. Any other
 * failure is thrown at once.
 */
export async function startOnFreePorts<T>(count: number, start: (ports: number[]) => Promise<T>, attempts = PORT_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    try {
      return await start(ports);
    } catch (e) {
      if (!isPortTaken(e) || attempt >= attempts) throw e;
    }
  }
}

/** Socket inodes listening on `port` (IPv4 and IPv6), from /proc/net; undefined where /proc has no such table. */
function listeningInodes(port: number): Set<string> | undefined {
  const inodes = new Set<string>();
  let tables = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    tables++;
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st … inode: state 0A is LISTEN; the port is hex after the colon.
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && parseInt(f[1]?.split(':')[1] ?? '', 16) === port && f[9] !== undefined) inodes.add(f[9]);
    }
  }
  return tables === 0 ? undefined : inodes;
}

/**
 * Whether process `pid` itself holds the listening socket of `port`, so a
 * probe that got an answer knows the answer came from our server and not
 * from another test's server that took the port first (an etcd's /health
 * answers anyone). True where /proc cannot tell (not Linux).
 */
export function ownsListeningPort(pid: number | undefined, port: number): boolean {
  const inodes = listeningInodes(port);
  if (inodes === undefined) return true;
  if (pid === undefined || inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
    } catch {
      return false; // closed meanwhile
    }
  });
}
