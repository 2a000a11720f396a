import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The local stack's small state files: the dev issuer's key, its credentials, DynamoDB Local's lock. */

/** A JSON file's content, or null when there is no such file (any other failure is thrown). */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return JSON.parse(text);
}

/** Writes JSON only its owner can read (mode 0600); `wx` fails with EEXIST if the file is there. */
export async function writePrivateJson(file: string, value: unknown, flag: 'w' | 'wx' = 'w'): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`, { flag, mode: 0o600 });
}
