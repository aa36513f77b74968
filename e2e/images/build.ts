/**
 * `make image`: the operator's image as an OCI archive, built without Docker.
 *   npx tsx e2e/images/build.ts [out-dir]     (default dist/images)
 * Prints the archive, its digest and size.
 */
import { join } from 'node:path';
import { buildOperatorImage } from './operator-image';

const outDir = process.argv[2] ?? join(__dirname, '..', '..', 'dist', 'images');
const started = Date.now();
const image = buildOperatorImage(outDir);
process.stdout.write(`${image.name}\n  archive ${image.archive}\n  digest  ${image.digest}\n  size    ${(image.size / 1e6).toFixed(1)} MB compressed (${Date.now() - started} ms)\n`);
