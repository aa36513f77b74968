/**
 * Step 1: the spec, validated as the apiserver would (ajv, with the CEL
 * rules mirrored) plus what CEL cannot say, defaults filled in, and every
 * field this operator cannot serve refused by name rather than ignored.
 */
import type { AtlasMigrationSpec } from '../../api/generated/atlasmigration-types';
import { Reason } from '../../api/reasons';
import { validateAtlasMigration } from '../../api/validate';
import { DEFAULT_LOCK_TIMEOUT_MS } from '../../migrate/apply';
import { LONGEST_TIMER_MS } from '../../migrate/dialects/sleep';
import { parseGoDuration } from '../../migrate/go-duration';
import type { ExecOrder } from '../../migrate/planner';
import type { TxMode } from '../../migrate/txmode';
import { approvalErrors, approvalSettings, type ApprovalSettings } from './approval-settings';
import { StepError } from './step-error';

export interface MigrationOptions {
  readonly revisionsSchema: string | undefined;
  readonly baseline: string | undefined;
  readonly execOrder: ExecOrder;
  readonly txMode: TxMode;
  readonly lockTimeoutMs: number;
  readonly dryRun: boolean;
  /** 0 retries forever. */
  readonly backoffLimit: number;
}

export interface ReadSpec {
  readonly spec: AtlasMigrationSpec;
  readonly options: MigrationOptions;
  /** The approval gate (spec.approval); kept out of the apply options, which fingerprint what is applied. */
  readonly approval: ApprovalSettings;
  /** Fields accepted for compatibility but not used; said in the Ready message so nobody is misled. */
  readonly unused: readonly string[];
}

/** Fields that change what Atlas would do and that this operator cannot honour. */
function unsupported(spec: AtlasMigrationSpec): string[] {
  const found: string[] = [];
  if (spec.cloud !== undefined) found.push('spec.cloud (Atlas Cloud)');
  if (spec.dir.remote !== undefined) found.push('spec.dir.remote (Atlas Cloud directories)');
  if (spec.config !== undefined || spec.configFrom !== undefined) found.push(`spec.${spec.config !== undefined ? 'config' : 'configFrom'} (custom atlas.hcl)`);
  if (spec.vars !== undefined && spec.vars.length > 0) found.push('spec.vars (atlas.hcl input variables)');
  if (spec.protectedFlows?.migrateDown?.allow === true) found.push('spec.protectedFlows.migrateDown.allow (down migrations)');
  return found;
}

/** Fields whose absence of effect is harmless: versioned apply needs no dev database or atlas.hcl env. */
function unusedFields(spec: AtlasMigrationSpec): string[] {
  return (['devURL', 'devURLFrom', 'devDB', 'envName'] as const).filter((f) => spec[f] !== undefined).map((f) => `spec.${f}`);
}

type SecretRef = { secretKeyRef: { name?: string } } | undefined;

/** Secret references must name their Secret (the schema defaults the name to ""). */
function unnamedSecrets(spec: AtlasMigrationSpec): string[] {
  const refs: [string, SecretRef][] = [
    ['spec.urlFrom', spec.urlFrom],
    ['spec.credentials.userFrom', spec.credentials?.userFrom],
    ['spec.credentials.passwordFrom', spec.credentials?.passwordFrom],
    ['spec.credentials.hostFrom', spec.credentials?.hostFrom],
  ];
  return refs.filter(([, ref]) => ref !== undefined && (ref.secretKeyRef.name ?? '') === '').map(([field]) => `${field}.secretKeyRef.name: required`);
}

/** Rules the schema cannot express. */
function semanticErrors(spec: AtlasMigrationSpec): string[] {
  const errors = unnamedSecrets(spec);
  const c = spec.credentials;
  if (c !== undefined && (c.host ?? '') === '' && c.hostFrom === undefined) errors.push('spec.credentials: host or hostFrom is required');
  if (spec.lockTimeout !== undefined && parseGoDuration(spec.lockTimeout) === undefined) errors.push(`spec.lockTimeout: ${JSON.stringify(spec.lockTimeout)} is not a duration`);
  if (spec.baseline !== undefined && spec.baseline === '') errors.push('spec.baseline: must not be empty');
  errors.push(...approvalErrors(spec));
  return errors;
}

export function readSpec(resource: { spec?: unknown }, name: string): ReadSpec {
  const copy = structuredClone({ apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: {}, spec: resource.spec }) as { spec: AtlasMigrationSpec };
  const result = validateAtlasMigration(copy);
  const errors = result.valid ? semanticErrors(copy.spec) : [...result.errors];
  if (errors.length > 0) throw new StepError(Reason.InvalidSpec, 'permanent', `${name}: invalid spec: ${errors.join('; ')}`);
  const spec = copy.spec;
  const refused = unsupported(spec);
  if (refused.length > 0) {
    throw new StepError(Reason.UnsupportedField, 'permanent', `${name}: not supported by this operator: ${refused.join(', ')}; remove the field(s) or use the Atlas Operator`);
  }
  return {
    spec,
    unused: unusedFields(spec),
    approval: approvalSettings(spec),
    options: {
      revisionsSchema: spec.revisionsSchema === '' ? undefined : spec.revisionsSchema,
      baseline: spec.baseline,
      execOrder: spec.execOrder ?? 'linear',
      txMode: spec.txMode ?? 'file',
      // Atlas accepts any Go duration; a wait past what a timer can time (about 24.8 days) waits that long.
      lockTimeoutMs: Math.min(parseGoDuration(spec.lockTimeout ?? '') ?? DEFAULT_LOCK_TIMEOUT_MS, LONGEST_TIMER_MS),
      dryRun: spec.dryRun === true,
      backoffLimit: spec.backoffLimit ?? 20,
    },
  };
}
