/**
 * `npm run bench -- lambdas`: every function of the route table bundled as the CDK stack bundles it
 * (infra/constructs/function.ts `BUNDLING`, through esbuild directly), its size, and its cold import time in
 * fresh Node processes, beside a bare bundle of just the AWS SDK clients that function uses, and one of the
 * SDK clients it used before our lean adapters replaced them (REPLACED_SDK_CLIENTS), built the same way and
 * timed in the same rounds. Marks the targets of issue 15. Bounded: RUNS rounds, fewer (never below
 * MIN_RUNS) when the machine is too busy to finish them within DEADLINE_MS; the report says how many.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { BUNDLING } from '../infra/constructs/function';
import { projectRoot } from '../infra/project';
import { handlerEnvironment } from '../infra/settings';
import { type LambdaName, lambdas } from '../shared/app/routes';

/** Issue 15's budgets. */
export const TARGETS = { authorizerKb: 60, functionKb: 600, importRatio: 1.25 } as const;
const AUTHORIZER: LambdaName = 'ws-authorizer';
const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 7);
const MIN_RUNS = 3;
/** For the import rounds; on a quiet 2-core machine 7 rounds take ~30 s. */
const DEADLINE_MS = 90_000;

export interface LambdaBenchResult {
  name: LambdaName;
  bundleBytes: number;
  /** Median of the runs: ms from `import()` called to resolved, each in a new Node process. */
  importMs: number;
  /** Median CPU time of the same imports (user + system): what a busy machine disturbs least. */
  importCpuMs: number;
  runs: number;
  /** The SDK packages whose code is in the bundle and that our sources import, with the names they import. */
  sdkClients: Record<string, string[]>;
  /** The bare bundle of those clients; null when the function bundles no SDK client. */
  bare: { bytes: number; importMs: number; importCpuMs: number } | null;
  /** importCpuMs / bare.importCpuMs: CPU time, as wall time on a shared machine is mostly waiting. */
  ratio: number | null;
  /** The SDK clients our adapters in the bundle replaced (REPLACED_SDK_CLIENTS), keyed as `sdkClients`. */
  replacedClients: Record<string, string[]>;
  /**
   * The bare bundle of the SDK clients the function used before: those it still bundles and those its
   * adapters replaced; null when it used none. What its import compares with now that they are gone.
   */
  before: { bytes: number; importMs: number; importCpuMs: number } | null;
  /** importCpuMs / before.importCpuMs. */
  beforeRatio: number | null;
  /** The five packages that weigh most in the bundle (bytes of output), our own sources as `(project)`. */
  heaviest: { pkg: string; bytes: number }[];
  targets: { maxKb: number; sizeOk: boolean; ratioOk: boolean | null };
}

/** esbuild's options for what NodejsFunction runs with `BUNDLING` (aws-lambda-nodejs/lib/bundling.js). */
export function bundlingOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    target: BUNDLING.target,
    format: BUNDLING.format === OutputFormat.ESM ? 'esm' : 'cjs',
    mainFields: [...BUNDLING.mainFields],
    banner: { js: BUNDLING.banner },
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    // NodejsFunction marks the SDK external unless it is bundled (bundleAwsSDK); it is, deliberately.
    external: BUNDLING.bundleAwsSDK ? [] : ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'warning',
  };
}

interface Bundle {
  file: string;
  bytes: number;
  metafile: Metafile;
}

/** Bundles a file, or (`source`) a module written here, resolving packages from the project. */
async function bundle(entry: string | { source: string }, outfile: string): Promise<Bundle> {
  const options =
    typeof entry === 'string'
      ? bundlingOptions(entry, outfile)
      : {
          ...bundlingOptions('', outfile),
          entryPoints: undefined,
          stdin: { contents: entry.source, resolveDir: projectRoot, sourcefile: 'bare-sdk-clients.mjs' },
        };
  const { metafile } = await build(options);
  return { file: outfile, bytes: (await stat(outfile)).size, metafile: metafile! };
}

const NODE_MODULE = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//;
const SDK_IMPORT =
  /^\s*import\s+(type\s+)?(\{[^}]*\}|\*\s+as\s+\w+|\w+)\s+from\s+['"](@aws-sdk\/[^'"]+)['"]/gm;
/** A client loaded when first used: `const { A } = await import('@aws-sdk/x')`, `import('@aws-sdk/x').then(({ B }) => …)`. */
const SDK_DYNAMIC_IMPORT = [
  /const\s*(\{[^}]*\})\s*=\s*await\s+import\(\s*['"](@aws-sdk\/[^'"]+)['"]\s*\)/g,
  /import\(\s*['"](@aws-sdk\/[^'"]+)['"]\s*\)\s*\.then\(\s*\(\s*(\{[^}]*\})/g,
];

/**
 * The SDK clients each of our lean adapters replaced (issue 15), as our sources imported them before: a
 * bundle that holds an adapter's code (a file matching `adapter`) and none of its `clients` packages has
 * those clients replaced, and would have loaded them. A lazily loaded client is keyed `import(<package>)`,
 * as sdkClientsOf keys it.
 */
export const REPLACED_SDK_CLIENTS: readonly { adapter: RegExp; clients: Record<string, string[]> }[] = [
  {
    // The table: the DynamoDB client and the document client with the commands the stores sent.
    adapter: /^shared\/adapters\/dynamo\//,
    clients: {
      '@aws-sdk/client-dynamodb': ['DynamoDBClient'],
      '@aws-sdk/lib-dynamodb': [
        'BatchGetCommand',
        'BatchWriteCommand',
        'DeleteCommand',
        'DynamoDBDocumentClient',
        'GetCommand',
        'PutCommand',
        'QueryCommand',
        'UpdateCommand',
      ],
    },
  },
  {
    // Delivery: GET and DELETE of a connection, and the SDK's exceptions the post path threw.
    adapter: /^shared\/adapters\/management-api\/client\.ts$/,
    clients: {
      '@aws-sdk/client-apigatewaymanagementapi': [
        'ApiGatewayManagementApiClient',
        'ApiGatewayManagementApiServiceException',
        'DeleteConnectionCommand',
        'ForbiddenException',
        'GetConnectionCommand',
        'GoneException',
        'LimitExceededException',
        'PayloadTooLargeException',
        'PostToConnectionCommand',
      ],
    },
  },
  {
    // The starters (after-connect, live stats): an asynchronous Invoke.
    adapter: /^shared\/adapters\/lambda\.ts$/,
    clients: { '@aws-sdk/client-lambda': ['InvokeCommand', 'LambdaClient'] },
  },
  {
    // The publishers' fan-out queue, loaded on its first send.
    adapter: /^shared\/adapters\/sqs\/fan-out-queue\.ts$/,
    clients: { 'import(@aws-sdk/client-sqs)': ['SQSClient', 'SendMessageBatchCommand'] },
  },
];

const packageOfKey = (key: string): string => /^import\((.+)\)$/.exec(key)?.[1] ?? key;

/** The SDK clients a bundle's adapters replaced: REPLACED_SDK_CLIENTS whose adapter is in it and whose packages are not. */
function replacedClientsOf(b: Bundle): Record<string, string[]> {
  const files = contributions(b).map(([file]) => file);
  const present = new Set(files.map((file) => NODE_MODULE.exec(file)?.[1]).filter(Boolean));
  const replaced: Record<string, string[]> = {};
  for (const { adapter, clients } of REPLACED_SDK_CLIENTS) {
    if (!files.some((file) => !NODE_MODULE.test(file) && adapter.test(file))) continue;
    if (Object.keys(clients).some((key) => present.has(packageOfKey(key)))) continue;
    Object.assign(replaced, clients);
  }
  return replaced;
}

/** Two sets of clients as one, named as sdkClientsOf names them. */
function mergeClients(a: Record<string, string[]>, b: Record<string, string[]>): Record<string, string[]> {
  const merged: Record<string, Set<string>> = {};
  for (const [key, names] of [...Object.entries(a), ...Object.entries(b)]) {
    const set = merged[key] ?? new Set<string>();
    merged[key] = set;
    for (const name of names) set.add(name);
  }
  return clientList(merged);
}

/** The files that put bytes into the bundle, with those bytes. */
function contributions(b: Bundle): [string, number][] {
  const output = Object.values(b.metafile.outputs).find((o) => o.entryPoint !== undefined);
  if (!output) throw new Error(`no entry output in the metafile of ${b.file}`);
  return Object.entries(output.inputs)
    .filter(([, i]) => i.bytesInOutput > 0)
    .map(([file, i]) => [file, i.bytesInOutput]);
}

/**
 * The SDK clients a bundle holds: packages with code in the output (metafile) that our own sources in the
 * output import, each with the names imported (`*` for a namespace or default import). A client that our
 * sources only load when first used (a dynamic `import()`, bundled inline: parsed with the bundle, run when
 * called) is keyed `import(<package>)`, and the bare bundle loads it the same way.
 */
async function sdkClientsOf(b: Bundle): Promise<Record<string, string[]>> {
  const inputs = contributions(b);
  const present = new Set(inputs.map(([file]) => NODE_MODULE.exec(file)?.[1]).filter(Boolean));
  const clients: Record<string, Set<string>> = {};
  for (const [file] of inputs) {
    if (NODE_MODULE.test(file) || !/\.[cm]?ts$/.test(file)) continue;
    const source = await readFile(path.join(projectRoot, file), 'utf8');
    const imports = [
      ...[...source.matchAll(SDK_IMPORT)]
        .filter(([, typeOnly]) => !typeOnly)
        .map(([, , what, pkg]) => ({ what, pkg, lazy: false })),
      ...[...source.matchAll(SDK_DYNAMIC_IMPORT[0]!)].map(([, what, pkg]) => ({ what, pkg, lazy: true })),
      ...[...source.matchAll(SDK_DYNAMIC_IMPORT[1]!)].map(([, pkg, what]) => ({ what, pkg, lazy: true })),
    ];
    for (const { what, pkg, lazy } of imports) {
      if (!pkg || !present.has(pkg)) continue;
      const key = lazy ? `import(${pkg})` : pkg;
      const names = clients[key] ?? new Set<string>();
      clients[key] = names;
      if (!what!.startsWith('{')) {
        names.add('*');
        continue;
      }
      for (const spec of what!.slice(1, -1).split(',')) {
        const name = spec.trim();
        if (name && !name.startsWith('type ')) names.add(name.split(/\s+as\s+/)[0]!);
      }
    }
  }
  return clientList(clients);
}

/** The clients as a record of sorted names; a package loaded eagerly somewhere is so in the bundle, lazily nowhere. */
function clientList(clients: Record<string, Set<string>>): Record<string, string[]> {
  for (const key of Object.keys(clients)) {
    const eager = packageOfKey(key);
    const eagerNames = eager === key ? undefined : clients[eager];
    if (eagerNames) {
      for (const name of clients[key] ?? []) eagerNames.add(name);
      delete clients[key];
    }
  }
  return Object.fromEntries(
    Object.entries(clients)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([pkg, names]) => [pkg, [...names].sort()]),
  );
}

/**
 * An entry that imports (and re-exports, so nothing is shaken off) exactly those clients; one loaded when
 * first used, behind an exported function that loads it as our sources do.
 */
function bareEntry(clients: Record<string, string[]>): string {
  return Object.entries(clients)
    .map(([key, names], i) => {
      const lazy = /^import\((.+)\)$/.exec(key)?.[1];
      if (lazy) {
        return `export const load${i} = () => import('${lazy}').then((m) => [${names.map((n) => `m.${n}`).join(', ')}]);`;
      }
      return names.includes('*')
        ? `export * from '${key}';`
        : `export { ${names.join(', ')} } from '${key}';`;
    })
    .join('\n');
}

function heaviest(b: Bundle): { pkg: string; bytes: number }[] {
  const byPackage = new Map<string, number>();
  for (const [file, bytes] of contributions(b)) {
    const pkg = NODE_MODULE.exec(file)?.[1] ?? '(project)';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytes);
  }
  return [...byPackage]
    .map(([pkg, bytes]) => ({ pkg, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
}

/** What a deployed function has in its environment, so that importing a handler does what it does in AWS. */
const importEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  NODE_NO_WARNINGS: '1',
  AWS_REGION: 'eu-west-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  TABLE_NAME: 'switchboard',
  WS_CALLBACK_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
  LIVE_STATS_FUNCTION_NAME: 'live-stats',
  ...handlerEnvironment({ issuer: 'https://login.example.com', audience: ['switchboard'] }),
  // The functions run with NODE_OPTIONS=--enable-source-maps, which makes every import parse the bundle's
  // source map; measured without it, as Node imports the module. BENCH_NODE_OPTIONS=--enable-source-maps
  // measures the deployed way (for the function and its bare clients alike).
  ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
});

interface ImportTime {
  wallMs: number;
  cpuMs: number;
}

/** From `import()` to its resolution, in a new Node process: elapsed, and the process's CPU time. */
async function importOnce(file: string, env: Record<string, string>): Promise<ImportTime> {
  const script = `const c = process.cpuUsage(); const t = performance.now();
    await import(${JSON.stringify(pathToFileURL(file).href)});
    const wall = performance.now() - t; const { user, system } = process.cpuUsage(c);
    process.stdout.write(JSON.stringify({ wallMs: wall, cpuMs: (user + system) / 1000 }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env,
    timeout: 30_000,
  });
  const time = JSON.parse(stdout) as ImportTime;
  if (!Number.isFinite(time.wallMs) || !Number.isFinite(time.cpuMs)) {
    throw new Error(`importing ${file} printed ${JSON.stringify(stdout)}`);
  }
  return time;
}

const medians = (times: ImportTime[]): ImportTime => ({
  wallMs: median(times.map((t) => t.wallMs)),
  cpuMs: median(times.map((t) => t.cpuMs)),
});

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function benchLambdas(
  names = Object.keys(lambdas) as LambdaName[],
): Promise<LambdaBenchResult[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchboard-lambdas-'));
  try {
    const functions = await Promise.all(
      names.map(async (name) => {
        const b = await bundle(
          path.join(projectRoot, lambdas[name].entry),
          path.join(dir, name, 'index.mjs'),
        );
        const clients = await sdkClientsOf(b);
        const replaced = replacedClientsOf(b);
        return { name, bundle: b, clients, replaced, before: mergeClients(clients, replaced) };
      }),
    );
    // One bare bundle per distinct set of clients: what each function bundles, what it used before.
    const bares = new Map<string, Bundle>();
    for (const clients of functions.flatMap((f) => [f.clients, f.before])) {
      const source = bareEntry(clients);
      if (!source || bares.has(source)) continue;
      bares.set(source, await bundle({ source }, path.join(dir, `bare-${bares.size}`, 'index.mjs')));
    }

    // Interleaved rounds, so that the machine's load falls on functions and bare bundles alike.
    const env = importEnv();
    const times = new Map<string, ImportTime[]>();
    const started = performance.now();
    let rounds = 0;
    // At least MIN_RUNS; another round only if it can end before the deadline at the pace so far.
    const roomForAnother = () => {
      const elapsed = performance.now() - started;
      return rounds < MIN_RUNS || elapsed + elapsed / rounds <= DEADLINE_MS;
    };
    while (rounds < RUNS && roomForAnother()) {
      for (const file of [
        ...functions.map((f) => f.bundle.file),
        ...[...bares.values()].map((b) => b.file),
      ]) {
        const list = times.get(file) ?? [];
        list.push(await importOnce(file, env));
        times.set(file, list);
      }
      rounds++;
    }

    const timed = (b: Bundle | undefined) => (b ? { bundle: b, times: medians(times.get(b.file)!) } : null);
    return functions.map(({ name, bundle: b, clients, replaced, before }) => {
      const bare = bares.get(bareEntry(clients));
      const own = medians(times.get(b.file)!);
      const bareTimes = bare ? medians(times.get(bare.file)!) : null;
      const ratio = bareTimes ? own.cpuMs / bareTimes.cpuMs : null;
      const formerly = timed(bares.get(bareEntry(before)));
      const maxKb = name === AUTHORIZER ? TARGETS.authorizerKb : TARGETS.functionKb;
      return {
        name,
        bundleBytes: b.bytes,
        importMs: round(own.wallMs),
        importCpuMs: round(own.cpuMs),
        runs: rounds,
        sdkClients: clients,
        bare:
          bare && bareTimes
            ? { bytes: bare.bytes, importMs: round(bareTimes.wallMs), importCpuMs: round(bareTimes.cpuMs) }
            : null,
        ratio: ratio === null ? null : round(ratio, 2),
        replacedClients: replaced,
        before: formerly
          ? {
              bytes: formerly.bundle.bytes,
              importMs: round(formerly.times.wallMs),
              importCpuMs: round(formerly.times.cpuMs),
            }
          : null,
        beforeRatio: formerly ? round(own.cpuMs / formerly.times.cpuMs, 2) : null,
        heaviest: heaviest(b),
        targets: {
          maxKb,
          sizeOk: b.bytes <= maxKb * 1024,
          ratioOk: ratio === null ? null : ratio <= TARGETS.importRatio,
        },
      };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
const kb = (bytes: number): string => (bytes / 1024).toFixed(1);

/** The machine a run was made on, for the report and docs/performance.md. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;
}

/** The 1, 5 and 15-minute load averages: how much else the cores were doing. */
export const loadAverage = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** The results as a Markdown table (docs/performance.md takes it as is), then how the targets fare. */
export function lambdasReport(results: readonly LambdaBenchResult[]): string {
  const header = [
    'function',
    'KB',
    'import ms',
    'CPU ms',
    'SDK clients bundled',
    'bare KB',
    'bare ms',
    'bare CPU ms',
    'CPU ratio',
    'SDK clients replaced',
    'before KB',
    'before CPU ms',
    'vs before',
    'targets',
  ];
  const clientNames = (clients: Record<string, string[]>) =>
    Object.keys(clients)
      .map((p) => p.replace(/^(import\()?@aws-sdk\/(client-)?/, '$1'))
      .join(', ') || '—';
  const rows = results.map((r) => {
    const missed = [
      ...(r.targets.sizeOk ? [] : [`> ${r.targets.maxKb} KB`]),
      ...(r.targets.ratioOk === false ? [`ratio > ${TARGETS.importRatio}`] : []),
    ];
    return [
      r.name,
      kb(r.bundleBytes),
      r.importMs.toFixed(1),
      r.importCpuMs.toFixed(1),
      clientNames(r.sdkClients),
      r.bare ? kb(r.bare.bytes) : '—',
      r.bare ? r.bare.importMs.toFixed(1) : '—',
      r.bare ? r.bare.importCpuMs.toFixed(1) : '—',
      r.ratio === null ? '—' : r.ratio.toFixed(2),
      clientNames(r.replacedClients),
      r.before ? kb(r.before.bytes) : '—',
      r.before ? r.before.importCpuMs.toFixed(1) : '—',
      r.beforeRatio === null ? '—' : r.beforeRatio.toFixed(2),
      missed.length === 0 ? 'met' : `FAIL: ${missed.join(', ')}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const table = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];

  const authorizer = results.find((r) => r.name === AUTHORIZER);
  const over = results.filter((r) => r.bundleBytes > TARGETS.functionKb * 1024);
  const withRatio = results.filter((r) => r.ratio !== null);
  const slow = withRatio.filter((r) => r.targets.ratioOk === false);
  const withBefore = results.filter((r) => r.beforeRatio !== null);
  const beforeRatios = withBefore.map((r) => r.beforeRatio!);
  const verdict = (ok: boolean) => (ok ? 'met' : 'FAIL');
  const summary = [
    `Targets (issue 15); medians of ${results[0]?.runs ?? 0} imports each, the ratio of CPU times:`,
    ...(authorizer
      ? [
          `  ${AUTHORIZER} ≤ ${TARGETS.authorizerKb} KB: ${verdict(authorizer.targets.sizeOk)} (${kb(authorizer.bundleBytes)} KB)`,
        ]
      : []),
    `  no function above ${TARGETS.functionKb} KB: ${verdict(over.length === 0)} (${over.length} of ${results.length} above)`,
    `  every import ≤ ${TARGETS.importRatio} × its bare SDK clients' import: ${verdict(slow.length === 0)} ` +
      `(${slow.length} of ${withRatio.length} above; the ${results.length - withRatio.length} functions that bundle ` +
      'no SDK client meet it trivially)',
    ...(withBefore.length === 0
      ? []
      : [
          `  against the SDK clients each used before (those still bundled and those our adapters replaced), ` +
            `the meaningful figure: ${withBefore.filter((r) => r.beforeRatio! <= TARGETS.importRatio).length} of ` +
            `${withBefore.length} ≤ ${TARGETS.importRatio} ×, ratios ${Math.min(...beforeRatios).toFixed(2)}–` +
            `${Math.max(...beforeRatios).toFixed(2)} (median ${median(beforeRatios).toFixed(2)})`,
        ]),
  ];
  const heaviestOf = (r: LambdaBenchResult) =>
    `  heaviest in ${r.name}: ${r.heaviest.map((h) => `${h.pkg} ${kb(h.bytes)} KB`).join(', ')}`;
  const largest = [...results].sort((a, b) => b.bundleBytes - a.bundleBytes)[0];
  const heaviest = [authorizer, largest].filter((r): r is LambdaBenchResult => r !== undefined);
  return [...table, '', ...summary, ...new Set(heaviest.map(heaviestOf))].join('\n');
}
