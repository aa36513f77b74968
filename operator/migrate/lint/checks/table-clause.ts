/** One clause of an ALTER TABLE statement, with the table it applies to. */
import type { QualifiedName } from '../names';
import type { LintScope } from '../scope';
import type { Token } from '../tokens';

export interface TableClause {
  readonly table: QualifiedName;
  readonly scope: LintScope;
  /** The clause's first token: its findings stand on this line. */
  readonly start: Token;
}
