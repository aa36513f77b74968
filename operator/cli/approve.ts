/**
 * `approve NAME`: prints the plan an AtlasMigration holds for approval and
 * approves it by setting the approval annotation to the plan's hash. The
 * write carries the resourceVersion that was read, so a plan that changes
 * between reading and writing is never approved unseen.
 */
import { APPROVAL_ANNOTATION } from '../api/approval';
import { FIELD_MANAGER } from '../api/reasons';
import { ApiError, isConflict, resourcePath, type KubeClient } from '../controller/kube/api-client';
import { ATLAS_MIGRATIONS } from '../controller/kube/resources';
import { CodedError } from '../migrate/dialects/coded-error';
import { decideApproval, type ApprovalDecision } from './approve-decision';
import { type CliIo, ExitCode } from './io';
import { KUBE_FLAG_OPTIONS, KUBE_FLAGS_HELP, openKube, requireResourceName, type KubeFlags } from './kube-access';
import { migrationView, type MigrationView } from './migration-view';
import { parseFlags } from './parse-flags';
import { formatPlan } from './plan-format';

export function approveHelp(program: string): string {
  return `Usage: ${program} approve NAME [-n NS] [--plan HASH] [--kubeconfig PATH] [--context NAME]

Prints the plan the AtlasMigration NAME waits to apply (Ready=False,
ApprovalPending) and approves it: sets the annotation ${APPROVAL_ANNOTATION}
to the plan's hash. Exits 0 when approved or already approved.

Flags:
      --plan HASH         approve only if the pending plan has this hash (for scripts: the plan you reviewed)
${KUBE_FLAGS_HELP}`;
}

/** Refused: nothing to approve, another plan than the one reviewed, or the write was not allowed. */
export class ApproveError extends CodedError<'Approve'> {
  readonly code = 'Approve';
}

/** Who wrote the annotation, as managedFields show it: a person approving, not the operator. */
const APPROVER_FIELD_MANAGER = `${FIELD_MANAGER}-approve`;
/** A 409 means the resource changed under us; re-reading a few times absorbs the operator's status writes. */
const CONFLICT_ATTEMPTS = 3;

export interface ApproveConfig extends KubeFlags {
  readonly name: string;
  readonly plan?: string | undefined;
}

export function approveConfig(args: readonly string[]): ApproveConfig {
  const { values, positionals } = parseFlags('approve', args, { ...KUBE_FLAG_OPTIONS, plan: { type: 'string' } }, 1);
  return { ...values, name: requireResourceName('approve', positionals) };
}

interface Target {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
}

function describeTarget(t: Target): string {
  return `${t.namespace}/${t.name}`;
}

function explainApiError(t: Target, verb: string, e: unknown): unknown {
  if (!(e instanceof ApiError)) return e;
  if (e.status === 404) return new ApproveError(`AtlasMigration ${describeTarget(t)} not found`, { cause: e });
  if (e.status === 403) {
    return new ApproveError(`not allowed to ${verb} AtlasMigration ${describeTarget(t)}: approving needs get and patch on atlasmigrations.db.atlasgo.io (the waiter role only reads). The API server said: ${e.message}`, { cause: e });
  }
  return e;
}

async function read(t: Target): Promise<MigrationView> {
  try {
    return migrationView(await t.client.json({ method: 'GET', path: resourcePath({ ...ATLAS_MIGRATIONS, namespace: t.namespace, name: t.name }) }));
  } catch (e) {
    throw explainApiError(t, 'get', e);
  }
}

async function writeApproval(t: Target, hash: string, resourceVersion: string | undefined): Promise<void> {
  try {
    await t.client.json({
      method: 'PATCH',
      path: resourcePath({ ...ATLAS_MIGRATIONS, namespace: t.namespace, name: t.name }, { fieldManager: APPROVER_FIELD_MANAGER }),
      contentType: 'application/merge-patch+json',
      body: { metadata: { ...(resourceVersion === undefined ? {} : { resourceVersion }), annotations: { [APPROVAL_ANNOTATION]: hash } } },
    });
  } catch (e) {
    throw explainApiError(t, 'patch', e);
  }
}

/** The outcomes other than a write: an exit code, or ApproveError when refused. */
function settle(t: Target, decision: Exclude<ApprovalDecision, { kind: 'approve' }>, io: CliIo): number {
  switch (decision.kind) {
    case 'no-plan':
      throw new ApproveError(`AtlasMigration ${describeTarget(t)} has no plan to approve: ${decision.why}`);
    case 'other-plan':
      throw new ApproveError(`the pending plan of ${describeTarget(t)} is ${decision.plan.hash}, not ${decision.wanted}: review the plan above and approve it by its hash`);
    case 'already-approved':
      io.out(`Plan ${decision.plan.hash} of ${describeTarget(t)} is already approved.\n`);
      return ExitCode.Ok;
  }
}

async function approveTarget(t: Target, wanted: string | undefined, io: CliIo): Promise<number> {
  // After a conflict, only the plan already shown may be approved: a new one needs a new review.
  let shown: string | undefined;
  for (let attempt = 1; ; attempt++) {
    const view = await read(t);
    const decision = decideApproval(view, wanted ?? shown);
    if (decision.kind !== 'no-plan' && decision.plan.hash !== shown) io.out(formatPlan(describeTarget(t), decision.plan));
    if (decision.kind !== 'approve') return settle(t, decision, io);
    shown = decision.plan.hash;
    try {
      await writeApproval(t, decision.plan.hash, view.resourceVersion);
      io.out(`Approved plan ${decision.plan.hash} of ${describeTarget(t)}; the operator applies it on its next reconcile.\n`);
      return ExitCode.Ok;
    } catch (e) {
      if (!isConflict(e) || attempt >= CONFLICT_ATTEMPTS) throw e;
    }
  }
}

export async function approve(args: readonly string[], io: CliIo): Promise<number> {
  const config = approveConfig(args);
  const kube = openKube(config);
  try {
    return await approveTarget({ client: kube.client, namespace: kube.namespace, name: config.name }, config.plan, io);
  } finally {
    kube.close();
  }
}
