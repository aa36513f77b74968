/**
 * `make demo`, database part: the walk-through's migrations, byte for byte,
 * applied to a private MySQL 8.0 (the server the walk-through uses) by our
 * `migrate apply`, then checked as in its step 6 with a mysql client.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { runCli } from '../operator/cli/main';
import { startMySqlFamily } from './databases/mysql-family';
import { ensurePackages, firstExisting } from './databases/packages';

const SEED = join(__dirname, '..', 'operator', 'migrate', 'testdata', 'seed');

async function main(): Promise<void> {
  // The step-6 check uses a mysql client; Debian's is MariaDB's, which talks to MySQL 8 in utf8mb4.
  ensurePackages(['mariadb-client'], () => firstExisting(['/usr/bin/mariadb']) !== undefined);
  const server = await startMySqlFamily('mysql8');
  try {
    const admin = await createConnection(server.url);
    await admin.query('CREATE DATABASE myapp');
    await admin.end();
    const url = server.urlFor('myapp');
    console.log(`\n== a private MySQL 8.0 on 127.0.0.1:${server.port}; the walk-through's migrations, as they are`);
    if ((await runCli(['migrate', 'apply', '--url', url, '--dir', `file://${SEED}`])) !== 0) throw new Error('apply failed');
    console.log('\n== step 6: verify');
    for (const table of ['users', 'posts']) {
      console.log(`$ mysql -uroot -p… -e "describe myapp.${table}"`);
      const client = ['--default-character-set=utf8mb4', '-t', '-h', server.host, '-P', String(server.port), '-u', server.user, `-p${server.password}`];
      process.stdout.write(execFileSync('mariadb', [...client, '-e', `describe myapp.${table}`], { encoding: 'utf8' }));
    }
    await runCli(['migrate', 'status', '--url', url, '--dir', `file://${SEED}`]);
  } finally {
    await server.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
