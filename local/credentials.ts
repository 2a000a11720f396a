import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { readJsonFile, writePrivateJson } from './json-file';

/**
 * The local stack's own AWS-style credentials: what its Management API (`@connections`) and Lambda Invoke
 * API verify SigV4 signatures against, what its handlers sign with (LOCAL_ACCESS_KEY_ID and
 * LOCAL_SECRET_ACCESS_KEY in their env), and what code outside the stack (the server library) is given by
 * `npm run credentials`. One pair per data directory, kept in it (mode 0600); a new pair per start with
 * `--memory`. They open nothing but this stack: DynamoDB Local takes any credentials anyway.
 */
export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export const CREDENTIALS_FILE = 'local-credentials.json';

export const credentialsFile = (dataDir: string): string => join(dataDir, CREDENTIALS_FILE);

/** The data directory's credentials, created on first use; fresh ones for `null` (in memory). */
export async function loadLocalCredentials(file: string | null): Promise<LocalCredentials> {
  if (file === null) return generate();
  const stored = await readCredentials(file);
  if (stored) return stored;
  const fresh = generate();
  try {
    await writePrivateJson(file, fresh, 'wx');
    return fresh;
  } catch (error) {
    // Created meanwhile by another start on the same directory: theirs is the pair.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readCredentials(file);
    if (!theirs) throw new Error(`${file} is not a credentials file`);
    return theirs;
  }
}

/** The stored pair, or null if there is none; a file that is not one is an error, not overwritten. */
async function readCredentials(file: string): Promise<LocalCredentials | null> {
  const parsed = (await readJsonFile(file)) as Partial<LocalCredentials> | null;
  if (parsed === null) return null;
  if (typeof parsed.accessKeyId !== 'string' || typeof parsed.secretAccessKey !== 'string') {
    throw new Error(`${file} does not hold {accessKeyId, secretAccessKey}`);
  }
  return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey };
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Shaped like AWS's: a 20-character key id (`LOCAL` + 15 of A-Z2-7), a 40-character base64 secret. */
function generate(): LocalCredentials {
  const tail = Array.from({ length: 15 }, () => KEY_ALPHABET[randomInt(KEY_ALPHABET.length)]).join('');
  return { accessKeyId: `LOCAL${tail}`, secretAccessKey: randomBytes(30).toString('base64') };
}
