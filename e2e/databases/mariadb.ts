/**
 * A private MariaDB server for tests: Debian's binaries, a temporary data
 * directory, a free loopback port and a root password; durability settings
 * off for speed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './free-port';
import { ensurePackages, firstExisting } from './packages';
import type { TestDatabaseServer } from './postgres';
import { startProcess, waitUntilReady } from './server-process';

const SERVER = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];
const INSTALL = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];

export async function startMariaDb(): Promise<TestDatabaseServer> {
  ensurePackages(['mariadb-server', 'mariadb-client'], () => firstExisting(SERVER) !== undefined && firstExisting(INSTALL) !== undefined);
  const server = firstExisting(SERVER) as string;
  const install = firstExisting(INSTALL) as string;
  const dataDir = mkdtempSync(join(tmpdir(), 'test-mariadb-'));
  const datadir = join(dataDir, 'data');
  const user = process.getuid?.() === 0 ? ['--user=root'] : [];
  execFileSync(install, ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...user], {
    stdio: 'pipe',
  });
  const password = 'my-' + Math.random().toString(36).slice(2);
  const initFile = join(dataDir, 'init.sql');
  // install-db creates password-less root accounts for localhost, 127.0.0.1 and ::1; give them all the password.
  const hosts = ['localhost', '127.0.0.1', '::1'];
  writeFileSync(
    initFile,
    hosts.map((h) => `ALTER USER IF EXISTS 'root'@'${h}' IDENTIFIED BY '${password}';\n`).join('') +
      `CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '${password}';\n` +
      `GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;\nFLUSH PRIVILEGES;\n`,
  );
  const port = await freePort();
  const proc = startProcess(
    server,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dataDir, 'mysqld.sock')}`,
      `--pid-file=${join(dataDir, 'mysqld.pid')}`,
      `--init-file=${initFile}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-doublewrite=0',
      '--innodb-buffer-pool-size=64M',
      '--max-connections=100',
      ...user,
    ],
    { dataDir },
  );
  const url = `mysql://root:${password}@127.0.0.1:${port}`;
  await waitUntilReady(
    proc,
    async () => {
      const c = await createConnection({ host: '127.0.0.1', port, user: 'root', password });
      await c.end();
    },
    'mariadb',
  );
  return {
    url,
    host: '127.0.0.1',
    port,
    user: 'root',
    password,
    urlFor: (database, params) => `${url}/${database}${params === undefined ? '' : '?' + params}`,
    stop: () => proc.stop(),
  };
}
