#!/usr/bin/env node
/**
 * The command-line program: `migrate …` works on a migration directory and
 * a database; `run` starts the operator.
 */
import { PROGRAM_NAME, PROGRAM_VERSION } from '../version';
import { type CliIo, ExitCode, processIo, UsageError } from './io';
import { migrateApply, migrateApplyHelp } from './migrate-apply';
import { migrateHash, migrateHashHelp } from './migrate-hash';
import { migrateInspect, migrateInspectHelp } from './migrate-inspect';
import { migrateStatus, migrateStatusHelp } from './migrate-status';
import { migrateValidate, migrateValidateHelp } from './migrate-validate';
import { reportError } from './report-error';
import type * as RunModule from './run';

type Command = (args: readonly string[], io: CliIo) => number | Promise<number>;

const MIGRATE_COMMANDS: Readonly<Record<string, { run: Command; help: string }>> = {
  hash: { run: migrateHash, help: migrateHashHelp },
  validate: { run: migrateValidate, help: migrateValidateHelp },
  inspect: { run: migrateInspect, help: migrateInspectHelp },
  apply: { run: migrateApply, help: migrateApplyHelp },
  status: { run: migrateStatus, help: migrateStatusHelp },
};

const USAGE = `Usage: ${PROGRAM_NAME} <command>

Commands:
  migrate hash       write atlas.sum for a migration directory
  migrate validate   check atlas.sum, directives and (with --dialect) statements
  migrate inspect    show files, hashes and statements as they will run
  migrate apply      apply pending files to a database (as 'atlas migrate apply')
  migrate status     where a database stands against the directory
  run                run the operator (reconcile AtlasMigration resources)
  version            print the version

Run '${PROGRAM_NAME} migrate <command> --help' for a command's flags.
`;

/** Top-level words that print something and need no subcommand. */
function builtin(group: string | undefined, io: CliIo): number | undefined {
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    io.out(USAGE);
    return group === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (group === 'version' || group === '--version') {
    io.out(`${PROGRAM_NAME} v${PROGRAM_VERSION}\n`);
    return ExitCode.Ok;
  }
  return undefined;
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [group, name, ...rest] = argv;
  const done = builtin(group, io);
  if (done !== undefined) return done;
  if (group === 'run') {
    // Loaded only here: the Kubernetes client costs ~400 ms of start-up that `migrate …` never needs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { run, runHelp } = require('./run') as typeof RunModule;
    if (argv.includes('--help') || argv.includes('-h')) {
      io.out(runHelp);
      return ExitCode.Ok;
    }
    return run(argv.slice(1), io);
  }
  if (group !== 'migrate') throw new UsageError(`unknown command ${JSON.stringify(group)}`);
  const command = name === undefined ? undefined : MIGRATE_COMMANDS[name];
  if (command === undefined) throw new UsageError(`unknown migrate command ${JSON.stringify(name ?? '')}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return ExitCode.Ok;
  }
  return command.run(rest, io);
}

/** Runs the program and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`Error: ${e.message}\n\n${USAGE}`);
      return ExitCode.Usage;
    }
    reportError(io, e);
    return ExitCode.Failed;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
