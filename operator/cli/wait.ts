/**
 * `wait NAME`: blocks until an AtlasMigration is Ready for its current
 * generation (and, with --for-version, at that version or later). Made for
 * init containers and deploy scripts: a distinct exit code for each way it
 * can end, one line per state change, and only get and watch access.
 */
import { constants } from 'node:os';
import { ApiError } from '../controller/kube/api-client';
import { CodedError } from '../migrate/dialects/coded-error';
import { durationFlag } from './database-flags';
import { type CliIo, ExitCode, UsageError } from './io';
import { KUBE_FLAG_OPTIONS, KUBE_FLAGS_HELP, openKube, requireResourceName, type KubeFlags } from './kube-access';
import { parseFlags } from './parse-flags';
import { formatPlan } from './plan-format';
import { invokedAs } from './program-name';
import { formatGoDuration } from '../migrate/go-duration';
import { waitForMigration, type WaitOutcome } from './wait-loop';

export function waitHelp(program: string): string {
  return `Usage: ${program} wait NAME [-n NS] [--for-version V] [--timeout 5m] [--kubeconfig PATH] [--context NAME]

Waits until the AtlasMigration NAME is Ready for its current generation. A
resource that does not exist yet is waited for. Prints a line per state change.

Exit codes: 0 ready, 1 other error (e.g. Forbidden), 2 usage, 3 stalled,
4 waiting for approval of a plan, 5 timeout.

Flags:
      --for-version V     also wait until status.lastAppliedVersion is V or later (Atlas's version order)
      --timeout DUR       give up after this long, a Go duration (default 5m)
${KUBE_FLAGS_HELP}`;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** The chart's read-only role for waiters (manifests/rbac.ts); named in the hint of a refused wait. */
export const WAITER_ROLE = 'atlas-k8s-migrator-waiter';

/** The API server refused to show the resource: retrying would not help. */
export class WaitAccessError extends CodedError<'WaitAccess'> {
  readonly code = 'WaitAccess';
}

function explainRefusal(e: unknown, what: string): unknown {
  if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 403)) return e;
  const hint = e.status === 403 ? `: wait needs get and watch on atlasmigrations.db.atlasgo.io (bind the ${WAITER_ROLE} ClusterRole with a RoleBinding)` : '';
  return new WaitAccessError(`cannot read AtlasMigration ${what}${hint}. The API server said: ${e.message}`, { cause: e });
}

export interface WaitConfig extends KubeFlags {
  readonly name: string;
  readonly forVersion?: string | undefined;
  readonly timeoutMs: number;
}

export function waitConfig(args: readonly string[]): WaitConfig {
  const { values, positionals } = parseFlags('wait', args, { ...KUBE_FLAG_OPTIONS, 'for-version': { type: 'string' }, timeout: { type: 'string' } }, 1);
  const timeoutMs = durationFlag('timeout', values.timeout, DEFAULT_TIMEOUT_MS);
  if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than 0');
  if (values['for-version'] === '') throw new UsageError('--for-version must not be empty');
  return {
    kubeconfig: values.kubeconfig,
    context: values.context,
    namespace: values.namespace,
    name: requireResourceName('wait', positionals),
    forVersion: values['for-version'],
    timeoutMs,
  };
}

interface Reporting {
  readonly io: CliIo;
  readonly program: string;
  readonly resource: { readonly namespace: string; readonly name: string };
  readonly timeoutMs: number;
}

function approveCommand(r: Reporting, hash: string | undefined): string {
  return `${r.program} approve ${r.resource.name} -n ${r.resource.namespace}${hash === undefined ? '' : ` --plan ${hash}`}`;
}

/** Stopped by a signal: the shell's exit code for it (128 + its number), as if it had killed the process. */
function reportInterrupted(outcome: Extract<WaitOutcome, { kind: 'interrupted' }>, what: string, io: CliIo): number {
  const seen = outcome.last === undefined ? 'nothing' : outcome.last.summary;
  io.err(`Error: stopped by ${outcome.reason} while waiting for ${what}; last seen: ${seen}\n`);
  return 128 + (constants.signals[outcome.reason as NodeJS.Signals] ?? 0);
}

/** Prints how the wait ended and returns its exit code. */
function report(outcome: Exclude<WaitOutcome, { kind: 'interrupted' }>, r: Reporting): number {
  const what = `${r.resource.namespace}/${r.resource.name}`;
  if (outcome.kind === 'timeout') {
    const seen = outcome.last === undefined ? 'nothing (no answer from the API server)' : outcome.last.summary;
    const error = outcome.lastError === undefined ? '' : `; last error: ${outcome.lastError.message}`;
    r.io.err(`Error: timed out after ${formatGoDuration(r.timeoutMs * 1e6)} waiting for ${what}; last seen: ${seen}${error}\n`);
    return ExitCode.Timeout;
  }
  const state = outcome.state;
  switch (state.kind) {
    case 'ready':
      return ExitCode.Ok;
    case 'stalled':
      r.io.err(`Error: ${what} is stalled: ${state.reason}${state.message === '' ? '' : `: ${state.message}`}\n`);
      return ExitCode.Stalled;
    case 'approval-pending':
      if (state.plan !== undefined) r.io.out(formatPlan(what, state.plan));
      r.io.err(`Error: ${what} waits for approval of plan ${state.plan?.hash ?? '(not in status yet)'}. Review it, then run: ${approveCommand(r, state.plan?.hash)}\n`);
      return ExitCode.ApprovalPending;
  }
}

export async function wait(args: readonly string[], io: CliIo, program = invokedAs()): Promise<number> {
  const config = waitConfig(args);
  const kube = openKube(config);
  const resource = { namespace: kube.namespace, name: config.name };
  const prefix = `${resource.namespace}/${resource.name}`;
  // In an init container `wait` is PID 1, and the kernel drops the signals PID 1 does not handle: without
  // these handlers, deleting a pod whose init container waits took the whole grace period and a SIGKILL.
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => interrupted.abort(signal);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const outcome = await waitForMigration({
      signal: interrupted.signal,
      client: kube.client,
      ...resource,
      forVersion: config.forVersion,
      timeoutMs: config.timeoutMs,
      onState: (state) => io.out(`${prefix}: ${state.summary}\n`),
      onRetry: (e) => io.err(`${prefix}: ${e.message} (retrying)\n`),
    });
    if (outcome.kind === 'interrupted') return reportInterrupted(outcome, prefix, io);
    return report(outcome, { io, program, resource, timeoutMs: config.timeoutMs });
  } catch (e) {
    throw explainRefusal(e, prefix);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    kube.close();
  }
}
