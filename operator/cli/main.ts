#!/usr/bin/env node
/**
 * The command-line program: `migrate …` works on a migration directory and
 * a database; `run` starts the operator; `approve` and `wait` work on an
 * AtlasMigration in a cluster (also as the kubectl plugin `kubectl atlas`).
 */
import { PROGRAM_NAME, PROGRAM_VERSION } from '../version';
import type * as ApproveModule from './approve';
import { type CliIo, ExitCode, processIo, UsageError } from './io';
import { migrateApply, migrateApplyHelp } from './migrate-apply';
import { migrateHash, migrateHashHelp } from './migrate-hash';
import { migrateInspect, migrateInspectHelp } from './migrate-inspect';
import { migrateLint, migrateLintHelp } from './migrate-lint';
import { migrateStatus, migrateStatusHelp } from './migrate-status';
import { migrateValidate, migrateValidateHelp } from './migrate-validate';
import { invokedAs } from './program-name';
import { reportError } from './report-error';
import type * as RunModule from './run';
import type * as WaitModule from './wait';

type Command = (args: readonly string[], io: CliIo) => number | Promise<number>;

const MIGRATE_COMMANDS: Readonly<Record<string, { run: Command; help: string }>> = {
  hash: { run: migrateHash, help: migrateHashHelp },
  validate: { run: migrateValidate, help: migrateValidateHelp },
  inspect: { run: migrateInspect, help: migrateInspectHelp },
  apply: { run: migrateApply, help: migrateApplyHelp },
  status: { run: migrateStatus, help: migrateStatusHelp },
  lint: { run: migrateLint, help: migrateLintHelp },
};

/**
 * Commands on a cluster, loaded on use: they pull in the Kubernetes client
 * that `migrate …` never needs.
 */
interface ClusterCommand {
  readonly run: (args: readonly string[], io: CliIo, program: string) => Promise<number>;
  readonly help: (program: string) => string;
}

/* eslint-disable @typescript-eslint/no-require-imports */
const CLUSTER_COMMANDS: Readonly<Record<string, () => ClusterCommand>> = {
  approve: () => {
    const m = require('./approve') as typeof ApproveModule;
    return { run: m.approve, help: m.approveHelp };
  },
  wait: () => {
    const m = require('./wait') as typeof WaitModule;
    return { run: m.wait, help: m.waitHelp };
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

const usage = (program: string): string => `Usage: ${program} <command>

Commands:
  migrate hash       write atlas.sum for a migration directory
  migrate validate   check atlas.sum, directives and (with --dialect) statements
  migrate inspect    show files, hashes and statements as they will run
  migrate apply      apply pending files to a database (as 'atlas migrate apply')
  migrate status     where a database stands against the directory
  migrate lint       risky changes in pending files, checked on live data with --url
  run                run the operator (reconcile AtlasMigration resources)
  approve NAME       print an AtlasMigration's pending plan and approve it
  wait NAME          wait until an AtlasMigration is Ready (init containers, deploy scripts)
  version            print the version

Run '${program} migrate <command> --help' or '${program} <command> --help' for a command's flags.
`;

/** Top-level words that print something and need no subcommand. */
function builtin(group: string | undefined, io: CliIo, program: string): number | undefined {
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    io.out(usage(program));
    return group === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (group === 'version' || group === '--version') {
    io.out(`${PROGRAM_NAME} v${PROGRAM_VERSION}\n`);
    return ExitCode.Ok;
  }
  return undefined;
}

function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

function clusterCommand(group: string | undefined): ClusterCommand | undefined {
  return group !== undefined && Object.hasOwn(CLUSTER_COMMANDS, group) ? CLUSTER_COMMANDS[group]?.() : undefined;
}

async function runClusterCommand(command: ClusterCommand, args: readonly string[], io: CliIo, program: string): Promise<number> {
  if (wantsHelp(args)) {
    io.out(command.help(program));
    return ExitCode.Ok;
  }
  return command.run(args, io, program);
}

async function dispatch(argv: readonly string[], io: CliIo, program: string): Promise<number> {
  const [group, name, ...rest] = argv;
  const done = builtin(group, io, program);
  if (done !== undefined) return done;
  const cluster = clusterCommand(group);
  if (cluster !== undefined) return runClusterCommand(cluster, argv.slice(1), io, program);
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

/**
 * Runs the program and returns its exit code; never throws.
 * @param program the name usage texts show: `kubectl atlas` when started as the kubectl plugin.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo, program: string = invokedAs()): Promise<number> {
  try {
    return await dispatch(argv, io, program);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`Error: ${e.message}\n\n${usage(program)}`);
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
