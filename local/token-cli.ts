import { parseArgs } from 'node:util';
import { TOKEN_PATH } from './issuer-routes';

/**
 * `npm run token -- --sub alice --orgs acme --scope realtime:publish`: asks the running local stack's dev
 * issuer for a token and prints only the token, so that `TOKEN=$(npm run -s token -- --sub alice)` works.
 * The stack signs it, so it works whatever key the stack has (also with --memory).
 */
const USAGE = `Usage: npm run -s token -- --sub <user> [--orgs a,b] [--scope "realtime:publish ..."] [--name "Alice"]
                           [--ttl <seconds>] [--url http://localhost:8080]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      orgs: { type: 'string' },
      scope: { type: 'string' },
      name: { type: 'string' },
      ttl: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.sub) throw new Error('--sub is required');
  const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttl !== undefined && !Number.isInteger(ttl))
    throw new Error(`--ttl must be a number of seconds, got "${values.ttl}"`);
  const base = (values.url ?? `http://localhost:${process.env.PORT ?? '8080'}`).replace(/\/+$/, '');

  let response: Response;
  try {
    response = await fetch(`${base}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        sub: values.sub,
        ...(values.orgs ? { orgs: values.orgs } : {}),
        ...(values.scope ? { scope: values.scope } : {}),
        ...(values.name ? { name: values.name } : {}),
        ...(ttl === undefined ? {} : { ttl }),
      }),
    });
  } catch {
    throw new Error(`No local stack answers at ${base}: start it with \`npm start\` (or pass --url)`);
  }
  // A body that is not JSON is told apart below by the missing token (and the status is reported).
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; message?: unknown };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(`The local stack at ${base} refused: ${String(body.message ?? response.status)}`);
  }
  process.stdout.write(`${body.token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(1);
});
