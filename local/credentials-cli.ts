import { parseArgs } from 'node:util';
import { credentialsFile, loadLocalCredentials } from './credentials';

/**
 * `npm run -s credentials`: the local stack's credentials for code outside it (the server library, the
 * AWS CLI, a script with the SDK), read from the data directory (created there if the stack has not run
 * yet: it will use the same pair). As shell exports by default, so that `eval "$(npm run -s credentials)"`
 * lets the SDK's default credential chain find them; `--json` prints `{accessKeyId, secretAccessKey}`.
 * A stack started with `--memory` has a new pair per run, which its start-up banner prints instead.
 */
const USAGE = 'Usage: npm run -s credentials -- [--data-dir .data] [--json]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const credentials = await loadLocalCredentials(credentialsFile(values['data-dir'] ?? '.data'));
  process.stdout.write(
    values.json
      ? `${JSON.stringify(credentials)}\n`
      : `export AWS_ACCESS_KEY_ID=${shellQuote(credentials.accessKeyId)}\n` +
          `export AWS_SECRET_ACCESS_KEY=${shellQuote(credentials.secretAccessKey)}\n`,
  );
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
  process.exit(1);
});
