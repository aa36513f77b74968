/** This program's name and version; a unit test keeps it equal to package.json. */
export const PROGRAM_NAME = 'atlas-k8s-migrator';
export const PROGRAM_VERSION = '0.1.0';
