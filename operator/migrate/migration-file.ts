import { bytesToBinary } from './binary-text';
import { fileDirectives, isSumIgnored } from './directives';
import { parseMigrationFileName } from './file-name';

/**
 * One migration file: its name, its exact bytes and what Atlas derives from
 * them (version, description, header directives). Derived values are
 * computed on first use; a directory of 10,000 files should not pay for
 * directives nobody reads.
 */
export class MigrationFile {
  readonly version: string;
  readonly description: string;
  private binaryText: string | undefined;

  constructor(
    readonly name: string,
    readonly bytes: Buffer,
  ) {
    const parsed = parseMigrationFileName(name);
    this.version = parsed.version;
    this.description = parsed.description;
  }

  /** The content as binary text (one char per byte), the form the scanner reads. */
  get binary(): string {
    this.binaryText ??= bytesToBinary(this.bytes);
    return this.binaryText;
  }

  /** `atlas:sum ignore` on the first line: the file gets no `atlas.sum` entry and can never be applied. */
  get sumIgnored(): boolean {
    // Cheap pre-check: the directive needs "atlas:" on the first line.
    const at = this.bytes.indexOf('atlas:');
    if (at === -1) return false;
    const newline = this.bytes.indexOf(0x0a);
    if (newline !== -1 && newline < at) return false;
    return isSumIgnored(this.binary);
  }

  /** Arguments of each header directive with this name (binary text). */
  directive(name: string): string[] {
    if (!this.bytes.includes('atlas:')) return [];
    return fileDirectives(this.binary, name);
  }

  get isCheckpoint(): boolean {
    return this.directive('checkpoint').length > 0;
  }

  /** The checkpoint's tag: the directive's whole argument (`-- atlas:checkpoint v4` → `v4`), '' if none. */
  get checkpointTag(): string | undefined {
    return this.directive('checkpoint')[0];
  }
}
