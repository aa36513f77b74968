import type { CliIo } from './io';
import { runCli } from './main';

export interface CapturedRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the program with its output captured instead of printed (tests, scripted demos). */
export async function runCaptured(argv: readonly string[]): Promise<CapturedRun> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), interactive: false };
  const code = await runCli(argv, io);
  return { code, out, err };
}
