/**
 * A private PostgreSQL server for tests: Debian's binaries, a temporary data
 * directory, a free loopback port, password authentication, fsync off.
 * Postgres refuses to run as root, so it runs as the `postgres` user the
 * Debian package creates.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startOnFreePorts } from './free-port';
import { ensurePackages, firstExisting } from './packages';
import { startProcess, waitUntilReady, type TestDatabaseServer } from './server-process';

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  } catch {
    return undefined;
  }
  return firstExisting(versions.map((v) => join(root, v, 'bin')).filter((d) => firstExisting([join(d, 'postgres')])));
}

function ids(user: string): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', user]).toString().trim()),
    gid: Number(execFileSync('id', ['-g', user]).toString().trim()),
  };
}

export async function startPostgres(): Promise<TestDatabaseServer> {
  ensurePackages(['postgresql'], () => postgresBin() !== undefined);
  const bin = postgresBin() as string;
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? ids('postgres') : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'test-pg-'));
  const password = 'pg-' + Math.random().toString(36).slice(2);
  writeFileSync(join(dataDir, 'pwfile'), password);
  if (owner !== undefined) chownSync(dataDir, owner.uid, owner.gid);
  const pgdata = join(dataDir, 'data');
  execFileSync(
    join(bin, 'initdb'),
    ['-D', pgdata, '-U', 'postgres', '--pwfile', join(dataDir, 'pwfile'), '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--locale=C.UTF-8'],
    { stdio: 'pipe', ...(owner ?? {}) },
  );
  const start = async ([port]: number[]) => {
    const server = startProcess(
      join(bin, 'postgres'),
      ['-D', pgdata, '-p', String(port), '-h', '127.0.0.1', '-k', dataDir, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=50'],
      { dataDir, ...(owner ?? {}) },
    );
    const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres?sslmode=disable`;
    // Our random password: another test's postgres that took the port refuses it.
    const probe = async (): Promise<void> => {
      const c = new Client({ connectionString: url });
      await c.connect();
      await c.end();
    };
    try {
      await waitUntilReady(server, probe, 'postgres');
    } catch (e) {
      await server.halt(); // keeps the data directory for the next attempt
      throw e;
    }
    return { server, url, probe, port: port as number };
  };
  // Started again on a new port if the port was taken before postgres bound it.
  const { server, url, probe, port } = await startOnFreePorts(1, start).catch((e: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });
  return {
    url,
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    urlFor: (database, params = 'sslmode=disable') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}?${params}`,
    stop: () => server.stop(),
    halt: () => server.halt(),
    resume: async () => {
      server.restart();
      await waitUntilReady(server, probe, 'postgres');
    },
  };
}
