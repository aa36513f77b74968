/**
 * How a live check reads in a finding: `holds 1,204 rows`, `3 duplicated
 * values (7 rows)`, `not counted (timed out after 5s)`. Names from the
 * migration are printed JSON-quoted, so a hostile name cannot break a line.
 */
import type { ProbeAnswer } from '../dialects/lint-probe';
import { formatGoDuration } from '../go-duration';

/** `1,204 rows`, `1 row`: thousands separated, as people read counts. */
export function quantity(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : plural}`;
}

/** The unanswered cases, worded the same for every check. */
export function unanswered(answer: Exclude<ProbeAnswer<unknown>, { status: 'counted' }>, createdEarlier: boolean): string {
  switch (answer.status) {
    case 'missing':
      return `${answer.what} ${JSON.stringify(answer.name)} does not exist${createdEarlier ? ' yet (an earlier statement creates it)' : ''}`;
    case 'timeout':
      return `not counted (timed out after ${formatGoDuration(answer.afterMs * 1e6)})`;
    case 'failed':
      return `not counted (${answer.reason.replace(/\s+/g, ' ').trim()})`;
  }
}

export function tableRows(n: number): string {
  return n === 0 ? 'table is empty' : `table holds ${quantity(n, 'row')}`;
}
