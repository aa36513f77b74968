/**
 * The live half of `migrate lint --url`: each finding a database can say
 * something about is looked at on the data as it is now (a dropped table's
 * rows, a new unique index's duplicates, the NULLs a NOT NULL change meets)
 * and the answer goes into `Finding.live`. Probes are read-only, bounded in
 * time and run one after the other on one connection. The same question is
 * asked once per run, and a table that timed out is not asked again, so a
 * locked table costs one timeout, not one per finding.
 */
import type { LintProbe, ProbeAnswer, TableRef } from '../dialects/lint-probe';
import type { Statement } from '../statements';
import { createdEarlier } from './created-earlier';
import type { Finding, FindingSubject } from './finding';
import { quantity, tableRows, unanswered } from './live-wording';

/** One question for the probe, with a key naming it (for asking it once) and how its answer reads. */
interface LiveQuestion {
  readonly key: string;
  /** The table asked about, if any: once it times out, it is not asked again. */
  readonly table?: string;
  readonly ask: (probe: LintProbe) => Promise<ProbeAnswer<unknown>>;
  readonly say: (value: never) => string;
}

type QuestionFor = (subject: FindingSubject) => LiveQuestion | undefined;

function tableRef(s: FindingSubject): TableRef | undefined {
  if (s.table === undefined) return undefined;
  return s.schema === undefined ? { table: s.table } : { schema: s.schema, table: s.table };
}

function tableKey(ref: TableRef): string {
  return JSON.stringify([ref.schema ?? null, ref.table]);
}

function keyOf(kind: string, ref: TableRef, columns: readonly string[] = []): string {
  return JSON.stringify([kind, tableKey(ref), columns]);
}

function rowsQuestion(say: (n: number) => string): QuestionFor {
  return (s) => {
    const ref = tableRef(s);
    if (ref === undefined) return undefined;
    return { key: keyOf('rows', ref), table: tableKey(ref), ask: (p) => p.rowCount(ref), say };
  };
}

/** One column's count (the first named: a finding is about one column). */
function columnQuestion(kind: 'nonNull' | 'null', say: (n: number) => string): QuestionFor {
  return (s) => {
    const ref = tableRef(s);
    const column = s.columns?.[0];
    if (ref === undefined || column === undefined) return undefined;
    const ask = (p: LintProbe): Promise<ProbeAnswer<number>> => (kind === 'null' ? p.nullCount(ref, column) : p.nonNullCount(ref, column));
    return { key: keyOf(kind, ref, [column]), table: tableKey(ref), ask, say };
  };
}

const duplicatesQuestion: QuestionFor = (s) => {
  const ref = tableRef(s);
  const columns = s.columns ?? [];
  if (ref === undefined || columns.length === 0) return undefined;
  const say = (d: { groups: number; rows: number }): string =>
    d.groups === 0 ? 'no duplicates now' : `${quantity(d.groups, 'duplicated value')} (${quantity(d.rows, 'row')})`;
  return { key: keyOf('duplicates', ref, columns), table: tableKey(ref), ask: (p) => p.duplicates(ref, columns), say };
};

const schemaQuestion: QuestionFor = (s) => {
  const schema = s.kind === 'schema' ? (s.name ?? s.schema) : s.schema;
  const say = (n: number): string => (n === 0 ? 'holds no tables' : `holds ${quantity(n, 'table')}`);
  return { key: JSON.stringify(['schema', schema ?? null]), ask: (p) => p.schemaTables(schema), say };
};

const holdsRows = (n: number): string => (n === 0 ? 'holds no rows' : `holds ${quantity(n, 'row')}`);

/** Which codes a database can inform, and what it is asked (see codes.ts for the codes). */
const LIVE_QUESTIONS: Readonly<Record<string, QuestionFor>> = Object.freeze({
  DS101: schemaQuestion,
  DS102: rowsQuestion(holdsRows),
  DS103: columnQuestion('nonNull', (n) => (n === 0 ? 'holds no non-NULL values' : `holds ${quantity(n, 'non-NULL value')}`)),
  MF101: duplicatesQuestion,
  MF102: duplicatesQuestion,
  MF103: rowsQuestion(tableRows),
  MF104: columnQuestion('null', (n) => (n === 0 ? 'no NULLs now' : quantity(n, 'NULL'))),
  KM101: rowsQuestion((n) => (n === 0 ? 'table is empty' : `removes ${quantity(n, 'row')}`)),
  KM102: rowsQuestion((n) => (n === 0 ? 'table is empty' : `removes ${quantity(n, 'row')}`)),
  KM103: rowsQuestion((n) => (n === 0 ? 'table is empty' : `overwrites ${quantity(n, 'row')}`)),
});

export interface LiveInput {
  readonly probe: LintProbe;
  /** Every linted statement in plan order: what runs before a finding may create what it misses. */
  readonly statements: readonly Statement[];
}

/** Statements before a finding's statement in the plan. */
function statementsBefore(statements: readonly Statement[], finding: Finding): readonly Statement[] {
  const at = statements.findIndex((s) => s.file === finding.file && s.index === finding.statement - 1);
  return at === -1 ? [] : statements.slice(0, at);
}

function word(question: LiveQuestion, answer: ProbeAnswer<unknown>, finding: Finding, input: LiveInput): string {
  if (answer.status === 'counted') return question.say(answer.value as never);
  if (answer.status !== 'missing') return unanswered(answer, false);
  const table = answer.what === 'column' ? finding.subject?.table : undefined;
  const earlier = statementsBefore(input.statements, finding);
  return unanswered(answer, createdEarlier(earlier, { what: answer.what, name: answer.name, ...(table === undefined ? {} : { table }) }));
}

/** Answers already given in this run: by question, and the timeout of each table that had one. */
class AnswerMemo {
  private readonly byQuestion = new Map<string, ProbeAnswer<unknown>>();
  private readonly timedOut = new Map<string, ProbeAnswer<unknown>>();

  async answer(question: LiveQuestion, probe: LintProbe): Promise<ProbeAnswer<unknown>> {
    const known = this.byQuestion.get(question.key) ?? (question.table === undefined ? undefined : this.timedOut.get(question.table));
    if (known !== undefined) return known;
    const answer = await question.ask(probe);
    this.byQuestion.set(question.key, answer);
    if (answer.status === 'timeout' && question.table !== undefined) this.timedOut.set(question.table, answer);
    return answer;
  }
}

/** The findings with `live` filled where the database could tell something; the others unchanged. */
export async function withLiveData(findings: readonly Finding[], input: LiveInput): Promise<Finding[]> {
  const memo = new AnswerMemo();
  const out: Finding[] = [];
  for (const finding of findings) {
    const subject = finding.subject;
    const question = subject === undefined ? undefined : LIVE_QUESTIONS[finding.code]?.(subject);
    if (question === undefined) {
      out.push(finding);
      continue;
    }
    // Sequential on purpose: one connection, and a slow database is asked one thing at a time.
    const answer = await memo.answer(question, input.probe);
    out.push({ ...finding, live: word(question, answer, finding, input) });
  }
  return out;
}
