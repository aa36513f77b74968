/**
 * `spec.approval`, checked beyond the schema and with its defaults filled
 * in. A destructive-code pattern must select at least one code of the lint
 * catalogue (a code such as `DS102`, or a prefix ending in `*` such as
 * `DS*`): a typo would otherwise silently let a destructive plan through.
 */
import { DEFAULT_APPROVAL_POLICY, type ApprovalPolicy } from '../../api/approval';
import type { AtlasMigrationSpec } from '../../api/generated/atlasmigration-types';
import { LINT_CODES, matchesCodes } from '../../migrate/lint/codes';

export interface ApprovalSettings {
  readonly policy: ApprovalPolicy;
  /** undefined: the linter's default destructive set. */
  readonly destructiveCodes: readonly string[] | undefined;
}

function selectsACode(pattern: string): boolean {
  return pattern !== '' && LINT_CODES.some((c) => matchesCodes(c.code, [pattern]));
}

export function approvalErrors(spec: AtlasMigrationSpec): string[] {
  const codes = spec.approval?.destructiveCodes ?? [];
  return codes.flatMap((code, i) => (selectsACode(code) ? [] : [`spec.approval.destructiveCodes[${i}]: ${JSON.stringify(code)} is not a known lint code (e.g. DS102) or a prefix of one ending in * (e.g. DS*)`]));
}

export function approvalSettings(spec: AtlasMigrationSpec): ApprovalSettings {
  return { policy: spec.approval?.policy ?? DEFAULT_APPROVAL_POLICY, destructiveCodes: spec.approval?.destructiveCodes };
}
