import { join } from 'node:path';
import { seedPathsConfig } from '../edge/index';
import { type Env, loadConfig } from '../shared/app/config';
import { DEFAULTS } from '../shared/app/defaults';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import {
  httpCors,
  httpRoutes,
  type LambdaName,
  type QueueTrigger,
  queueTriggers,
  usedLambdas,
  webSocketRoutes,
} from '../shared/app/routes';
import type { Runtime } from '../shared/app/runtime';
import { ConnectionRegistry } from './connection-registry';
import { CONNECTIONS_PREFIX, createConnectionsApi } from './connections-api';
import { createContractRoutes } from './contract-routes';
import { credentialsFile, type LocalCredentials, loadLocalCredentials } from './credentials';
import { createDevIssuer, type DevIssuer, loadDevKey } from './dev-issuer';
import { createDynamoClient, createLocalDocumentClient, ensureTable, startDynamoDb } from './dynamodb';
import { startDynamoWarmup } from './dynamodb-warmup';
import { callbackUrl, sqsEndpoint, stackEnv } from './env';
import {
  checkRouteTable,
  createInvoker,
  type Handler,
  loadHandlerModules,
  makeHandlers,
  PROJECT_ROOT,
} from './handlers';
import { createHttpApi } from './http-api';
import { sendJson } from './http-util';
import { WS_STAGE } from './ids';
import { createIssuerRoutes } from './issuer-routes';
import { createJwtAuthorizer } from './jwt-authorizer';
import { createLambdaApi, LAMBDA_INVOKE_PREFIX } from './lambda-api';
import { type LambdaWorkers, startLambdaWorkers } from './lambda-workers';
import { createLog, errorText, handlerLogLevel, type LocalLog } from './log';
import { createLocalMetrics, createMetricsRoute, type MetricsSnapshot } from './metrics';
import { type LocalStackOptions, resolveOptions } from './options';
import { EventSource, LocalQueue } from './queues';
import { requestParts } from './request-parts';
import { createScheduler } from './scheduler';
import { type SeedPathsServer, startSeedPaths } from './seed-paths';
import { listen, reservePort } from './server';
import { createSqsApi, queueUrl } from './sqs-api';
import { clearStaleConnections } from './stale-connections';
import { createStaticFiles } from './static-files';
import { createTtlSweeper } from './ttl-sweeper';
import { createWebSocketApi, routeFor } from './websocket';

export type { LocalStackOptions } from './options';

/**
 * The whole system on a laptop: DynamoDB, then the table, then one server that emulates API Gateway's
 * WebSocket API (stage `local`), its Management API and the HTTP API, all mounting the very handler
 * modules the CDK stack deploys; plus the dev token issuer, the minute scheduler and the TTL sweeper.
 */
export interface LocalStack {
  port: number;
  /** `http://localhost:{port}`: the HTTP API, the console, the issuer. */
  httpUrl: string;
  /** `ws://localhost:{port}/local`. */
  wsUrl: string;
  /** `ws://localhost:{seedPort}/ws/`: the seed documents' URLs, when `seedPort` was given. */
  seedUrl?: string;
  /** The Management API endpoint (what `https://{domainName}/{stage}` is in AWS). */
  callbackUrl: string;
  /** The SQS emulation's endpoint (its own port). */
  sqsUrl: string;
  /** The route table's queues (`queueTriggers`) by name, each with the event source that consumes it. */
  queues: ReadonlyMap<string, LocalQueueHandle>;
  dynamodbEndpoint: string;
  /** How DynamoDB is provided, for the start-up banner. */
  dynamodbDescription: string;
  /** The DynamoDB Local this stack started (its JVM's process), for CPU accounting; absent otherwise. */
  dynamodbPid?: number;
  tableName: string;
  /** The configuration every handler of this stack sees. */
  env: Readonly<Env>;
  /** What the Management API and the Invoke API verify signatures against (`npm run credentials`). */
  credentials: LocalCredentials;
  /** Mints tokens in-process (tests). */
  issuer: DevIssuer;
  scheduler: { runNow(name: string): Promise<unknown> };
  /** The handlers' metrics of the last `seconds` (what `GET /.local/metrics` answers). */
  metrics(seconds?: number): MetricsSnapshot;
  /** One TTL sweep now; resolves with the number of items deleted. */
  sweepNow(): Promise<number>;
  /** Closes every socket (each gets `$disconnect`), stops the server, then DynamoDB (if it started one). */
  stop(): Promise<void>;
}

export interface LocalQueueHandle {
  url: string;
  queue: LocalQueue;
  eventSource: EventSource;
}

const DEFAULT_REGION = 'us-east-1';
const HTTP_CLOSE_GRACE_MS = 5_000;
/** `$disconnect`s in flight at once when a start clears what a killed run left. */
const STALE_DISCONNECT_CONCURRENCY = 16;
/**
 * The handlers' DynamoDB requests in flight on one socket to the DynamoDB this stack started (HTTP/1.1
 * pipelining, shared/adapters/aws/http1.ts): requests started together share reads and writes on loopback.
 * Measured with 1,000 sockets opened into one room, 50 at once: at 4 the stack's CPU was 4.5 s instead of
 * 5.2–5.9 s and DynamoDB Local's HTTP threads' 2.7 s instead of 3.2–3.9 s, the time to open them unchanged
 * or better. Deeper is worse: at 32, with the same CPU saving, they took 7.0–7.9 s instead of 6.5–7.0 s, a
 * socket's requests being read one after another by one of DynamoDB Local's threads (docs/performance.md).
 */
export const DYNAMODB_PIPELINE = 4;

export async function startLocalStack(input: LocalStackOptions = {}): Promise<LocalStack> {
  const o = resolveOptions(input);
  const log = createLog(o.logLevel);
  checkRouteTable(webSocketRoutes, httpRoutes, o.schedules, queueTriggers);
  const lambdaNames: LambdaName[] = [...new Set([...usedLambdas(), ...o.schedules.map((s) => s.lambda)])];
  const key = await loadDevKey(o.memory ? null : join(o.dataDir, 'dev-issuer.json'));
  const credentials = await loadLocalCredentials(o.memory ? null : credentialsFile(o.dataDir));
  const region = o.env.AWS_REGION ?? DEFAULT_REGION;

  // The port is known (and checked free) now, opened once the stack is ready (server.ts).
  const port = await reservePort(o.port, o.host);
  const db = await startDynamoDb({
    endpoint: o.dynamodbEndpoint,
    dataDir: o.dataDir,
    memory: o.memory,
    engine: o.dynamodbEngine,
    log,
  });
  const dynamo = createDynamoClient(db.endpoint, region);
  const undo = async () => {
    dynamo.destroy();
    await db.stop();
  };
  let sqsServer: Awaited<ReturnType<typeof listen>>;
  try {
    await ensureTable(dynamo, o.tableName);
    sqsServer = await listen(o.sqsPort, o.host);
  } catch (error) {
    await undo();
    throw error;
  }

  const httpUrl = `http://localhost:${port}`;
  let issuer: DevIssuer;
  let env: Env;
  try {
    issuer = await createDevIssuer(key, httpUrl);
    env = stackEnv({
      tableName: o.tableName,
      dynamodbEndpoint: db.endpoint,
      ...(db.engine === 'external' ? {} : { dynamodbPipeline: DYNAMODB_PIPELINE }),
      region,
      port,
      sqsPort: sqsServer.port,
      issuer,
      credentials,
      handlerLogLevel: handlerLogLevel(o.logLevel),
      stackProps: o.stackProps,
      overrides: o.env,
    });
  } catch (error) {
    // A bad override (`env`) fails here: nothing started is left running.
    await sqsServer.close(0);
    await undo();
    throw error;
  }
  const config = loadConfig(env);
  // The handlers' metrics documents come here rather than to stdout (local/metrics.ts).
  const metrics = createLocalMetrics({ service: config.metricsService, log });
  // With workers (the default) each has its own runtime, as each Lambda container has; without, one runtime
  // in this thread serves every handler. Either way the runtime is built from the stack's environment.
  let workers: LambdaWorkers | undefined;
  let runtime: Runtime | undefined;
  let handlers: ReadonlyMap<LambdaName, Handler>;
  // DynamoDB Local's request path compiled while the workers load, before the first client (dynamodb-warmup.ts).
  const warmup =
    db.engine === 'dynamodb-local'
      ? startDynamoWarmup({
          endpoint: db.endpoint,
          region,
          tableName: o.tableName,
          pipeline: DYNAMODB_PIPELINE,
        })
      : undefined;
  try {
    if (o.lambdaWorkers === 0) {
      runtime = createPublisherRuntime(env, { metricsSink: metrics.record });
      handlers = makeHandlers(await loadHandlerModules(lambdaNames), runtime);
    } else {
      workers = await startLambdaWorkers({
        count: o.lambdaWorkers,
        env,
        names: lambdaNames,
        metricsSink: metrics.record,
        log,
      });
      handlers = workers.handlers;
    }
  } catch (error) {
    runtime?.dispose();
    await warmup?.finish();
    await sqsServer.close(0);
    await undo();
    throw error;
  }

  const invoker = createInvoker(handlers, {
    concurrency: o.lambdaConcurrency,
    log,
    // As a Lambda's handler does after each invocation (a worker flushes its runtime's before it answers).
    // Invocations overlap (one runtime serves several): a document may hold what another one under way
    // recorded so far; the totals are the same.
    ended(lambda, ms) {
      runtime?.metrics
        .flush()
        .catch((error) => log.error(`writing ${lambda}'s metrics failed: ${errorText(error)}`));
      metrics.invocation(lambda, ms);
    },
    ...(workers ? { stopping: workers.stopping } : {}),
    ...(o.observe ? { observe: o.observe } : {}),
  });
  /** What nobody waits for (queue pollers, the scheduled rule): a freed slot goes to a request first. */
  const inBackground = (lambda: LambdaName, event: unknown) => invoker.invoke(lambda, event, 'background');
  const registry = new ConnectionRegistry();
  const stage = { region, domainName: `127.0.0.1:${port}` };
  const webSocket = createWebSocketApi({
    invoker,
    registry,
    stage,
    port,
    log,
    idleTimeoutMs: o.idleTimeoutMs,
    maxLifetimeMs: o.maxLifetimeMs,
  });
  const connections = createConnectionsApi({
    registry,
    credentials,
    region,
    maxBufferedBytes: o.maxBufferedBytes,
  });
  const lambdaApi = createLambdaApi({ invoker, functions: new Set(lambdaNames), region, credentials, log });
  const sqsUrl = sqsEndpoint(sqsServer.port);
  const queues = new Map(
    queueTriggers.map((trigger) => [
      trigger.name,
      localQueue(trigger, {
        region,
        // The event source mapping's poller (bounded by its maximumConcurrency).
        invoke: inBackground,
        log,
        env,
        url: queueUrl(sqsUrl, trigger.name),
      }),
    ]),
  );
  sqsServer.mount({
    request: createSqsApi({
      queues: new Map([...queues].map(([name, q]) => [name, q.queue])),
      credentials,
      region,
    }),
    upgrade: (_req, socket) => socket.destroy(),
  });
  const httpApi = createHttpApi({
    invoker,
    authorize: createJwtAuthorizer(config.auth),
    cors: {
      allowOrigins: config.auth.allowedOrigins,
      allowMethods: httpCors.allowMethods,
      allowHeaders: httpCors.allowHeaders,
      maxAgeSeconds: httpCors.maxAgeSeconds,
    },
    log,
    port,
  });
  const statics = createStaticFiles(join(PROJECT_ROOT, 'web'));
  const metricsRoute = createMetricsRoute(metrics, () => ({
    bufferedBytesPeak: registry.bufferedBytesPeak,
    maxBufferedBytes: o.maxBufferedBytes,
  }));
  const issuerRoutes = createIssuerRoutes(issuer);
  const contractRoutes = createContractRoutes();
  const scheduler = createScheduler({
    schedules: o.schedules,
    region,
    invoke: inBackground,
    log,
  });
  const documents = createLocalDocumentClient(db.endpoint, region);
  const sweeper = createTtlSweeper({
    db: documents,
    tableName: o.tableName,
    intervalMs: o.sweepIntervalMs,
    log,
  });

  const warmed = await warmup?.finish();
  if (warmed) {
    log.debug(`DynamoDB Local warmed: ${warmed.rounds} rounds, ${warmed.requests} requests`);
    if (warmed.error) log.warn(`warming DynamoDB Local stopped early: ${warmed.error}`);
  }
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(port, o.host);
  } catch (error) {
    // Taken since `reservePort`: what was started goes, as on a stop.
    await workers?.close();
    await sqsServer.close(0);
    runtime?.dispose();
    documents.destroy();
    await undo();
    throw error;
  }
  server.mount({
    async request(req, res) {
      // The Management API is the hot path of every fan-out: it is routed on the raw path, without
      // building the event-shaped view of the request that the HTTP API needs.
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const rawPath = query === -1 ? url : url.slice(0, query);
      try {
        if (rawPath.startsWith(CONNECTIONS_PREFIX)) return await connections.handle(req, res, rawPath);
        if (rawPath.startsWith(LAMBDA_INVOKE_PREFIX)) return await lambdaApi(req, res, rawPath);
        const request = requestParts(req);
        if (await issuerRoutes(req, res, request)) return;
        if (metricsRoute(res, request)) return;
        if (contractRoutes(res, request)) return;
        if (await statics(res, request.method, request.rawPath)) return;
        await httpApi(req, res, request);
      } catch (error) {
        log.error(`${req.method} ${rawPath} failed: ${errorText(error)}`);
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
        else res.destroy();
      }
    },
    upgrade: webSocket.handleUpgrade,
    connections: {
      answer: connections.answer,
      batch: connections.batch,
      onError: (error) => log.error(`a Management API call failed: ${errorText(error)}`),
    },
  });
  // Before the stack says it is ready: stats and presence start true.
  if (!o.memory && db.engine !== 'external') {
    await clearStaleConnections({
      db: documents,
      tableName: o.tableName,
      invoke: invoker.invoke,
      disconnectLambda: routeFor('$disconnect').lambda,
      stage,
      log,
      concurrency: STALE_DISCONNECT_CONCURRENCY,
    }).catch((error: unknown) =>
      log.warn(`clearing the previous run's connections failed: ${errorText(error)}`),
    );
  }
  scheduler.start();
  sweeper.start();
  for (const { eventSource } of queues.values()) eventSource.start();

  let stopped: Promise<void> | undefined;
  let seedPaths: SeedPathsServer | undefined;
  const stop = async () => {
    scheduler.stop();
    await webSocket.close();
    await seedPaths?.close(HTTP_CLOSE_GRACE_MS);
    await server.close(HTTP_CLOSE_GRACE_MS);
    for (const { eventSource } of queues.values()) eventSource.pause();
    await sweeper.stop();
    // Invocations under way end; a fan-out worker, its time up, passes its work on to the queue.
    await invoker.drain();
    await Promise.all([...queues.values()].map(({ eventSource }) => eventSource.stop()));
    await workers?.close();
    await sqsServer.close(HTTP_CLOSE_GRACE_MS);
    runtime?.dispose();
    documents.destroy();
    await undo();
  };

  if (o.seedPort !== undefined) {
    try {
      seedPaths = await startSeedPaths({
        port: o.seedPort,
        host: o.host,
        config: seedPathsConfig(WS_STAGE, o),
        originHost: `127.0.0.1:${port}`,
        upgrade: webSocket.handleUpgrade,
        log,
      });
    } catch (error) {
      await stop();
      throw error;
    }
  }

  return {
    port,
    httpUrl,
    wsUrl: `ws://localhost:${port}/local`,
    ...(seedPaths ? { seedUrl: `ws://localhost:${seedPaths.port}/ws/` } : {}),
    callbackUrl: callbackUrl(port),
    sqsUrl,
    queues,
    dynamodbEndpoint: db.endpoint,
    dynamodbDescription: db.description,
    ...(db.pid === undefined ? {} : { dynamodbPid: db.pid }),
    tableName: o.tableName,
    env,
    credentials,
    issuer,
    scheduler: { runNow: (name) => scheduler.runNow(name) },
    metrics: (seconds) => metrics.snapshot(seconds),
    sweepNow: () => sweeper.sweepNow(),
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}

/** A queue of the route table and the event source mapping that feeds it to its Lambda. */
function localQueue(
  trigger: QueueTrigger,
  context: {
    region: string;
    invoke: (lambda: LambdaName, event: unknown) => Promise<unknown>;
    log: LocalLog;
    env: Env;
    url: string;
  },
): LocalQueueHandle {
  const queue = new LocalQueue({
    name: trigger.name,
    region: context.region,
    visibilityTimeoutMs: trigger.visibilityTimeoutSeconds * 1000,
    maxReceiveCount: trigger.maxReceiveCount,
  });
  // The maximum concurrency is a stack property: the handlers' environment has it (infra/settings.ts).
  const fallback = DEFAULTS[trigger.concurrencyEnv as keyof typeof DEFAULTS];
  const maxConcurrency = Number(context.env[trigger.concurrencyEnv] ?? fallback);
  const eventSource = new EventSource({
    queue,
    lambda: trigger.lambda,
    batchSize: trigger.batchSize,
    maxConcurrency,
    region: context.region,
    invoke: context.invoke,
    log: context.log,
  });
  return { url: context.url, queue, eventSource };
}
