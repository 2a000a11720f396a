import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The local stack as `npm start` runs it, in a process of its own (`node --import tsx local/cli.ts`),
 * for tests that kill it, restart it, or measure its memory. Bounded: the start and every wait time out.
 */
export interface SpawnedStack {
  process: ChildProcess;
  httpUrl: string;
  wsUrl: string;
  /** DynamoDB Local's port (from the banner), or null when it runs none. */
  dynamodbPort: number | null;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGINT and wait for the clean stop (it exits 0). */
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export async function spawnStack(
  args: string[],
  options: { detached?: boolean } = {},
): Promise<SpawnedStack> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_NO_WARNINGS: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let text = '';
  const keep = (chunk: Buffer) => {
    text += chunk.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + START_TIMEOUT_MS;
  const readyLine = () => /ready on (http:\/\/localhost:(\d+))/.exec(text);
  for (;;) {
    if (readyLine()) break;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the stack did not start: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const ready = readyLine()!;
  const dynamodb = /DynamoDB\s+http:\/\/127\.0\.0\.1:(\d+) \(DynamoDB Local/.exec(text);
  return {
    process: child,
    httpUrl: ready[1]!,
    wsUrl: `ws://localhost:${ready[2]}/local`,
    dynamodbPort: dynamodb ? Number(dynamodb[1]) : null,
    output: () => text,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const end = await exited;
      if (end.code !== 0) throw new Error(`the stack exited ${end.code ?? end.signal}: ${text}`);
    },
  };
}

/**
 * The processes of DynamoDB Local listening on `port`: Java, and the watchdog that started it. Linux:
 * read from /proc (a zombie has no command line, so it does not count).
 */
export function dynamoDbLocalProcesses(port: number): { pid: number; watchdog: boolean }[] {
  const found: { pid: number; watchdog: boolean }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const portAt = args.indexOf('-port');
    if (!args.some((a) => a.endsWith('DynamoDBLocal.jar')) || args[portAt + 1] !== String(port)) continue;
    found.push({ pid: Number(entry), watchdog: args[0] === 'sh' });
  }
  return found;
}

/** Polls until `check` holds, or fails after `ms` with `what`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
