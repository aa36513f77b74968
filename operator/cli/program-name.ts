/**
 * The name the program was started as. Installed as `kubectl-atlas`, kubectl
 * runs it for `kubectl atlas …`, so usage texts and printed hints name the
 * command people actually type.
 */
import { basename } from 'node:path';
import { PROGRAM_NAME } from '../version';

export const KUBECTL_PLUGIN_FILE = 'kubectl-atlas';

/** `kubectl atlas` when started through the plugin's file name, else the program's own name. */
export function invokedAs(scriptPath: string | undefined = process.argv[1]): string {
  const file = basename(scriptPath ?? '').replace(/\.(c?js|ts)$/, '');
  return file === KUBECTL_PLUGIN_FILE ? 'kubectl atlas' : PROGRAM_NAME;
}
