/**
 * What `migrate lint` and the operator's plan report about a statement: a
 * check code (Atlas's where Atlas has one, ours in the same shape), where it
 * stands, and what it touches, so a live database can be asked about it.
 */

/** The object a finding is about, as named in the statement (unquoted, case kept). */
export interface FindingSubject {
  readonly kind: 'schema' | 'table' | 'column' | 'index' | 'constraint' | 'view' | 'routine' | 'trigger';
  /** Schema (PostgreSQL) or database (MySQL) qualifier when the statement gives one. */
  readonly schema?: string;
  readonly table?: string;
  /** For `column` (and MF101/MF103/MF104: the column(s) concerned). */
  readonly columns?: readonly string[];
  /** Name of the index, constraint, view, routine or trigger. */
  readonly name?: string;
}

export interface Finding {
  /** `DS102`, `MF103`, `KM101`…: see codes.ts. */
  readonly code: string;
  /** The migration file. */
  readonly file: string;
  /** 1-based line in the file of the offending clause's first token (the statement's own line when the whole statement is the finding). */
  readonly line: number;
  /** 1-based position of the statement in the file. */
  readonly statement: number;
  /** One short sentence, e.g. `Dropping table "users"`. */
  readonly message: string;
  readonly subject?: FindingSubject;
  /** Filled only when a live database was asked (`--url`): e.g. `holds 1204 rows`. */
  readonly live?: string;
}
