/** Where a command writes. Tests pass buffers; the program passes the process streams. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Whether stdout is a terminal (live progress, colours). */
  readonly interactive: boolean;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: process.stdout.isTTY,
};

/**
 * Exit codes, documented in the README. 1 is what the Atlas CLI returns for
 * any failure, so scripts written for Atlas keep working.
 */
export const ExitCode = Object.freeze({
  Ok: 0,
  /**
   * The migration directory or database refused the operation (checksum, scan, history, SQL error…);
   * for `approve` and `wait`, any other failure (API error, Forbidden, no plan to approve).
   */
  Failed: 1,
  /** The command line itself is wrong: unknown command or flag, missing or invalid value. */
  Usage: 2,
  /** `wait`: the resource is Stalled (gave up, or waits for a change of its spec or inputs). */
  Stalled: 3,
  /** `wait`: the resource holds a plan until someone approves it (Ready=False, ApprovalPending). */
  ApprovalPending: 4,
  /** `wait`: --timeout passed before the resource was ready. */
  Timeout: 5,
});

export class UsageError extends Error {}
