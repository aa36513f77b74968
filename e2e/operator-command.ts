/**
 * How the e2e tests start the program as a process: the compiled
 * `dist/operator/cli/main.js` when `make test-e2e` built it and says so
 * (E2E_OPERATOR_MAIN; what the image runs, and it starts in about a third
 * of the time, which the kill -9 and leader-election tests do dozens of
 * times), otherwise the TypeScript through tsx (a test file run by hand
 * always runs the sources as they are).
 */
import { isAbsolute, join } from 'node:path';

const SOURCE_MAIN = join(__dirname, '..', 'operator', 'cli', 'main.ts');

/** Node's arguments for `<program> ...args`. */
export function programArgs(args: readonly string[]): string[] {
  const built = process.env.E2E_OPERATOR_MAIN;
  if (built !== undefined && built !== '') {
    if (!isAbsolute(built)) throw new Error(`E2E_OPERATOR_MAIN must be an absolute path, got ${JSON.stringify(built)}`);
    return [built, ...args];
  }
  return ['--import', 'tsx', SOURCE_MAIN, ...args];
}
