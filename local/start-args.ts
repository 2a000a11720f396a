import { parseArgs } from 'node:util';
import type { SeedChat, SeedNotifications, SeedPathSettings } from '../edge/index';
import { WS_LIMITS } from './limits';
import type { LocalStackOptions } from './options';
import { readStackContext, settingsHelp } from './settings';

/** `npm start`'s command line, read and checked before anything starts (local/cli.ts). */

const OPTIONS = `Usage: npm start -- [options] [-c name=value …]
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
  --lambda-concurrency <n>    handler invocations running at once; more wait (default 32)
  --lambda-workers <n>        worker threads the handlers run in, beside the emulator's (default: the cores
                              but one, at least 1; 0: in the emulator's thread, for a profile or a debugger)
  --max-buffered-bytes <n>    unsent bytes per WebSocket connection before posts answer 429 (default 1048576)
  --max-lifetime <seconds>    close every WebSocket this long after it opened, as API Gateway does after
                              its maximum of ${WS_LIMITS.maxLifetimeMs / 1000} s (the default); for trying reconnects
  --idle-timeout <seconds>    close a WebSocket whose client sent no data frame for this long (API Gateway:
                              ${WS_LIMITS.idleTimeoutMs / 1000} s, the default)
  -c, --context <name=value>  a property of the CDK stack, named and written as for \`cdk deploy -c\`;
                              repeat for more (lists are comma-separated)
  --verbose                   log every connection, frame and request
  -h, --help                  this text`;

export const HELP = `${OPTIONS}

Stack properties (-c name=value), as infra/settings.ts defines them for \`cdk deploy\`:
${settingsHelp()}`;

/** Every problem of the command line, in one message; nothing has started. */
export class StartArgsError extends Error {
  override name = 'StartArgsError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      `npm start: ${problems.length === 1 ? problems[0] : `\n${problems.map((p) => `  - ${p}`).join('\n')}`}`,
    );
    this.problems = problems;
  }
}

export type StartArgs =
  | { help: true }
  | {
      help: false;
      options: LocalStackOptions & { port: number };
      /** Lines the start banner adds: the properties and limits that differ from the defaults. */
      banner: string[];
      /** Accepted settings without local effect, one line each. */
      notices: string[];
    };

export async function parseStartArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<StartArgs> {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    throw new StartArgsError([error instanceof Error ? error.message : String(error)]);
  }
  if (values.help) return { help: true };

  const problems: string[] = [];
  const portText = values.port ?? env.PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535)
    problems.push(`--port must be a port number, got "${portText}"`);
  const seedPortText = values['seed-port'];
  if (seedPortText !== undefined && (!/^\d+$/.test(seedPortText) || Number(seedPortText) > 65_535)) {
    problems.push(`--seed-port must be a port number, got "${seedPortText}"`);
  }

  const seconds = (flag: string, text: string | undefined, maxMs: number): number | undefined => {
    if (text === undefined) return undefined;
    const ms = Math.round(Number(text) * 1000);
    if (!/^\d+(\.\d+)?$/.test(text) || ms < 1 || ms > maxMs) {
      problems.push(`${flag} must be a number of seconds above 0 and at most ${maxMs / 1000}, got "${text}"`);
      return undefined;
    }
    return ms;
  };
  /** A whole number option, or undefined when absent (the stack's default). */
  const count = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (/^\d+$/.test(text)) return Number(text);
    problems.push(`${flag} must be a whole number, got "${text}"`);
    return undefined;
  };
  const lambdaConcurrency = count('--lambda-concurrency', values['lambda-concurrency']);
  const lambdaWorkers = count('--lambda-workers', values['lambda-workers']);
  const maxBufferedBytes = count('--max-buffered-bytes', values['max-buffered-bytes']);
  const maxLifetimeMs = seconds('--max-lifetime', values['max-lifetime'], WS_LIMITS.maxLifetimeMs);
  const idleTimeoutMs = seconds('--idle-timeout', values['idle-timeout'], WS_LIMITS.idleTimeoutMs);

  const context = await readStackContext(values.context ?? []);
  problems.push(...context.problems);
  // The seed settings are one thing under two names: --seed-chat here, -c seedChat as for the stack.
  const seed = (flag: SeedFlag, prop: keyof SeedPathSettings): string | undefined => {
    const [flagValue, contextValue] = [values[flag], context.props[prop]];
    if (flagValue !== undefined && contextValue !== undefined && flagValue !== contextValue) {
      problems.push(`--${flag} ${flagValue} and -c ${prop}=${contextValue} disagree: give one`);
    }
    return flagValue ?? contextValue;
  };
  const seedSettings = {
    // Checked by startLocalStack (edge/index.ts), which names the allowed values.
    seedChat: seed('seed-chat', 'seedChat') as SeedChat | undefined,
    seedNotifications: seed('seed-notifications', 'seedNotifications') as SeedNotifications | undefined,
    seedCounter: seed('seed-counter', 'seedCounter'),
  };
  if (problems.length > 0) throw new StartArgsError(problems);

  const banner: string[] = [];
  if (context.given.length > 0) {
    banner.push(`  Properties ${context.given.map(({ name, value }) => `${name}=${value}`).join(' ')}`);
  }
  const limits = [
    ...(maxLifetimeMs === undefined ? [] : [`max lifetime ${maxLifetimeMs / 1000} s`]),
    ...(idleTimeoutMs === undefined ? [] : [`idle timeout ${idleTimeoutMs / 1000} s`]),
  ];
  if (limits.length > 0) {
    banner.push(
      `  Limits     ${limits.join(', ')} (API Gateway: ${WS_LIMITS.maxLifetimeMs / 1000} s, ${WS_LIMITS.idleTimeoutMs / 1000} s)`,
    );
  }
  return {
    help: false,
    options: {
      port,
      host: values.host,
      memory: values.memory,
      dataDir: values['data-dir'],
      dynamodbEndpoint: values['dynamodb-endpoint'],
      // -c seedPaths=true is the distribution: the seed port, on any free port unless --seed-port names one.
      seedPort: seedPortText !== undefined ? Number(seedPortText) : context.props.seedPaths ? 0 : undefined,
      ...seedSettings,
      logLevel: values.verbose ? 'debug' : 'info',
      lambdaConcurrency,
      lambdaWorkers,
      maxBufferedBytes,
      maxLifetimeMs,
      idleTimeoutMs,
      stackProps: context.props,
    },
    banner,
    notices: context.notices,
  };
}

type SeedFlag = 'seed-chat' | 'seed-notifications' | 'seed-counter';

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
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
      'lambda-concurrency': { type: 'string' },
      'lambda-workers': { type: 'string' },
      'max-buffered-bytes': { type: 'string' },
      'max-lifetime': { type: 'string' },
      'idle-timeout': { type: 'string' },
      context: { type: 'string', short: 'c', multiple: true },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}
