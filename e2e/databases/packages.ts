import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The first existing path, or undefined. */
export function firstExisting(paths: readonly string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

/** Whether `command args…` runs and exits 0 (a cheap "is it installed" check). */
export function commandWorks(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let updated = false;

/**
 * Installs Debian packages when a binary is missing. Tests never rely on a
 * system service: they only need the binaries, and start their own servers.
 */
export function ensurePackages(packages: readonly string[], present: () => boolean): void {
  if (present()) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${packages.join(', ')}: install them (apt-get install ${packages.join(' ')}) or run as root`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    updated = true;
  }
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  if (!present()) throw new Error(`installing ${packages.join(', ')} did not provide the expected binaries`);
}
