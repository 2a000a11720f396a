import { JWKS_PATH } from './issuer-routes';
import { HELP, parseStartArgs, StartArgsError } from './start-args';

/** Signals closer together than this are one interrupt delivered twice. */
const REPEAT_WINDOW_MS = 1_000;

/**
 * `npm start`: the local stack in a terminal. Prints its URLs and a final `ready` line, stays up until
 * SIGINT/SIGTERM, then closes every socket (each gets $disconnect), the server and DynamoDB, and exits 0.
 * A second signal exits at once.
 */
async function main(): Promise<void> {
  const args = await parseStartArgs(process.argv.slice(2), process.env);
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  // The SDK warns on Node 20 about its releases after January 2027; noise for someone starting a dev server.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { port } = args.options;
  // Loaded only now: help and a wrong command line answer without loading every handler.
  const { startLocalStack } = await import('./index');
  const stack = await startLocalStack(args.options);
  // With --memory the pair exists only in this process: the banner is where code outside it finds them.
  const credentials = args.options.memory
    ? `AWS_ACCESS_KEY_ID=${stack.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${stack.credentials.secretAccessKey}`
    : `npm run -s credentials${args.options.dataDir ? ` -- --data-dir ${args.options.dataDir}` : ''}`;

  const lines = [
    'Switchboard local stack',
    `  WebSocket  ${stack.wsUrl}`,
    ...(stack.seedUrl ? [`  Seed paths ${stack.seedUrl}chat/{room}/, …/notifications/, …/counter/ …`] : []),
    `  HTTP API   ${stack.httpUrl}/`,
    `  Console    ${stack.httpUrl}/`,
    `  JWKS       ${stack.httpUrl}${JWKS_PATH}`,
    `  Contract   ${stack.httpUrl}/openapi.json (HTTP API), ${stack.httpUrl}/asyncapi.json (WebSocket API)`,
    `  DynamoDB   ${stack.dynamodbDescription}`,
    ...[...stack.queues].map(([name, q]) => `  SQS        ${q.url}   (the ${name} queue)`),
    ...args.banner,
    `  Token      npm run -s token -- --sub alice --scope realtime:publish${port === 8080 ? '' : ` --url ${stack.httpUrl}`}`,
    `  AWS keys   ${credentials}   (signatures on @connections, the Invoke API and SQS are checked)`,
    ...args.notices.map((notice) => `  Note: ${notice}`),
    `Switchboard local stack ready on ${stack.httpUrl}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stoppingSince: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // One Ctrl-C can arrive several times (the terminal signals npm, tsx and node; npm and tsx relay it).
      if (Date.now() - stoppingSince < REPEAT_WINDOW_MS) return;
      process.stderr.write(`${signal} again: exiting without a clean stop\n`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    process.stdout.write(`${signal}: stopping (closing sockets, then DynamoDB)…\n`);
    stack.stop().then(
      () => {
        process.stdout.write('Stopped.\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`Stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  const hint =
    error instanceof StartArgsError ? '\n(npm start -- --help lists the options and properties)' : '';
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}${hint}\n`);
  process.exit(1);
});
