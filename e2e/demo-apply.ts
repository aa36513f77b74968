/**
 * `make demo`, database part: the walk-through's migrations applied to a
 * private MariaDB by our `migrate apply`, then checked as in its step 6.
 *
 * The walk-through targets MySQL 8: its tables use MySQL 8's collation
 * utf8mb4_0900_ai_ci, which MariaDB 10.11 (the MySQL-family server Debian 12
 * ships) does not know. The demo shows that failure as our CLI reports it,
 * then applies the same migrations with MariaDB's equivalent collation.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { runCli } from '../operator/cli/main';
import { startMariaDb } from './databases/mariadb';

const SEED = join(__dirname, '..', 'operator', 'migrate', 'testdata', 'seed');

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'demo-'));
  const server = await startMariaDb();
  try {
    const admin = await createConnection(server.url);
    await admin.query('CREATE DATABASE myapp');
    const url = server.urlFor('myapp');
    console.log(`\n== a private MariaDB on 127.0.0.1:${server.port}; the walk-through's migrations, as they are`);
    await runCli(['migrate', 'apply', '--url', url, '--dir', `file://${SEED}`]);

    console.log('\n== the same migrations with MariaDB\'s collation (utf8mb4_uca1400_ai_ci), re-hashed');
    const dir = join(work, 'migrations');
    cpSync(SEED, dir, { recursive: true });
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.sql'))) {
      writeFileSync(join(dir, f), readFileSync(join(dir, f), 'utf8').replaceAll('utf8mb4_0900_ai_ci', 'utf8mb4_uca1400_ai_ci'));
    }
    await runCli(['migrate', 'hash', '--dir', `file://${dir}`]);
    const code = await runCli(['migrate', 'apply', '--url', url, '--dir', `file://${dir}`]);
    if (code !== 0) throw new Error('apply failed');
    console.log('\n== step 6: verify (describe myapp.users / myapp.posts)');
    for (const table of ['users', 'posts']) {
      const [rows] = await admin.query(`DESCRIBE myapp.${table}`);
      console.table(rows);
    }
    await runCli(['migrate', 'status', '--url', url, '--dir', `file://${dir}`]);
    await admin.end();
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
