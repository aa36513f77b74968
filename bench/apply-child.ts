/**
 * Child process for the apply benchmark: applies a directory and prints
 * the apply time and the process's peak RSS, measured from inside.
 */
import { apply } from '../operator/migrate/apply';
import { openDriver } from '../operator/migrate/dialects/registry';
import { readDirectoryFolder } from '../operator/migrate/directory';

async function main(): Promise<void> {
  const [url = '', dir = ''] = process.argv.slice(2);
  const directory = readDirectoryFolder(dir);
  const driver = openDriver(url);
  const started = process.hrtime.bigint();
  const result = await apply(driver, directory, { operatorVersion: 'bench', lockTimeoutMs: 60_000 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await driver.close();
  process.stdout.write(JSON.stringify({ ms, files: result.files.length, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
}

void main();
