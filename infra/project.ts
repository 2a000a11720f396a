import { fileURLToPath } from 'node:url';

/** The repository root: the route table's `entry` paths and the npm lock file are relative to it. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
