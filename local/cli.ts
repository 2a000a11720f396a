import { parseArgs } from 'node:util';
import type { SeedChat, SeedNotifications } from '../edge/index';
import { startLocalStack } from './index';
import { JWKS_PATH } from './issuer-routes';

/**
 * `npm start`: the local stack in a terminal. Prints its URLs and a final `ready` line, stays up until
 * SIGINT/SIGTERM, then closes every socket (each gets $disconnect), the server and DynamoDB, and exits 0.
 * A second signal exits at once.
 */
const USAGE = `Usage: npm start -- [options]
  --port <n>                  port of the HTTP + WebSocket server (env PORT; default 8080)
  --host <address>            interface to listen on (default 127.0.0.1; 0.0.0.0 for other machines,
                              which can then also mint tokens: the dev issuer has no password)
  --memory                    keep nothing on disk (DynamoDB in memory, a new issuer key per start)
  --data-dir <dir>            where data and the issuer key live (default .data)
  --dynamodb-endpoint <url>   use this DynamoDB instead of starting one
  --seed-port <n>             also serve the seed documents' URLs (ws://…/ws/chat/{room}/ …) on this
                              port, as the CloudFront distribution does (default off; 0: any free port)
  --seed-chat rooms|chats     /ws/chat/{id}/ is a room (seed 001, default) or a chat (seed 003)
  --seed-notifications 001|004  whose frames /ws/notifications/ speaks (default 001)
  --seed-counter <name>       the counter /ws/counter/ is (default global)
  --verbose                   log every connection, frame and request`;

/** Signals closer together than this are one interrupt delivered twice. */
const REPEAT_WINDOW_MS = 1_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      memory: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'dynamodb-endpoint': { type: 'string' },
      'seed-port': { type: 'string' },
      'seed-chat': { type: 'string' },
      'seed-notifications': { type: 'string' },
      'seed-counter': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // The SDK warns on Node 20 about its releases after January 2027; noise for someone starting a dev server.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const portText = values.port ?? process.env.PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535)
    throw new Error(`--port must be a port number, got "${portText}"`);
  const seedPortText = values['seed-port'];
  if (seedPortText !== undefined && (!/^\d+$/.test(seedPortText) || Number(seedPortText) > 65_535))
    throw new Error(`--seed-port must be a port number, got "${seedPortText}"`);

  const stack = await startLocalStack({
    port,
    host: values.host,
    memory: values.memory,
    dataDir: values['data-dir'],
    dynamodbEndpoint: values['dynamodb-endpoint'],
    seedPort: seedPortText === undefined ? undefined : Number(seedPortText),
    // Checked by startLocalStack (edge/index.ts), which names the allowed values.
    seedChat: values['seed-chat'] as SeedChat | undefined,
    seedNotifications: values['seed-notifications'] as SeedNotifications | undefined,
    seedCounter: values['seed-counter'],
    logLevel: values.verbose ? 'debug' : 'info',
  });

  const lines = [
    'Switchboard local stack',
    `  WebSocket  ${stack.wsUrl}`,
    ...(stack.seedUrl ? [`  Seed paths ${stack.seedUrl}chat/{room}/, …/notifications/, …/counter/ …`] : []),
    `  HTTP API   ${stack.httpUrl}/`,
    `  Console    ${stack.httpUrl}/`,
    `  JWKS       ${stack.httpUrl}${JWKS_PATH}`,
    `  DynamoDB   ${stack.dynamodbDescription}`,
    `  Token      npm run -s token -- --sub alice --scope realtime:publish${port === 8080 ? '' : ` --url ${stack.httpUrl}`}`,
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
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
  process.exit(1);
});
