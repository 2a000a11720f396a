import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { keys, table } from '../shared/adapters/dynamo/table';
import type { LambdaName } from '../shared/app/routes';
import { type Principal, principalToContext } from '../shared/core/auth/principal';
import { CloseCode, clientClose } from './close-codes';
import type { LiveConnection } from './connection-registry';
import type { Invoker } from './handlers';
import { errorText, type LocalLog } from './log';
import { disconnectEvent, type WsStage } from './ws-events';

/**
 * A local stack that starts on data a previous run left clears that run's connections. None of their
 * sockets survived it (they lived in the previous process), but a run that was killed never sent their
 * `$disconnect`, so stats, presence and subscriber lists would go on counting them. Each one found gets
 * the `$disconnect` API Gateway sends for a socket that died without a close frame (1006), through the
 * same invoker and handler as any other, a few at a time. Only for a DynamoDB this stack owns (its data
 * directory, locked): on a shared one (`--dynamodb-endpoint`) they may be another stack's live sockets.
 * A Scan is fine here: local only, once, at start.
 */
export interface StaleConnectionsOptions {
  db: DynamoDBDocumentClient;
  tableName: string;
  invoke: Invoker['invoke'];
  disconnectLambda: LambdaName;
  stage: WsStage;
  log: LocalLog;
  /** `$disconnect`s in flight at once. */
  concurrency: number;
}

export async function clearStaleConnections(options: StaleConnectionsOptions): Promise<number> {
  const { log } = options;
  const stale = await scanConnections(options.db, options.tableName);
  if (stale.length === 0) return 0;
  log.info(
    `${stale.length} connections of a previous run that did not stop cleanly: sending their $disconnect`,
  );
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < stale.length) {
      const connection = stale[next++]!;
      try {
        await options.invoke(
          options.disconnectLambda,
          disconnectEvent(options.stage, connection, clientClose(CloseCode.abnormal, '')),
        );
      } catch (error) {
        failed++;
        log.warn(`ws ${connection.id} $disconnect (previous run) failed: ${errorText(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, stale.length) }, worker));
  return stale.length - failed;
}

/** Every connection record in the table, shaped as the emulator knew it (its authorizer context rebuilt). */
async function scanConnections(db: DynamoDBDocumentClient, tableName: string): Promise<LiveConnection[]> {
  const found: LiveConnection[] = [];
  const metaKey = keys.connection('');
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(#pk, :prefix) AND #sk = :meta',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
        ExpressionAttributeValues: { ':prefix': metaKey.pk, ':meta': metaKey.sk },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) found.push(asConnection(item, metaKey.pk));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
}

function asConnection(item: Record<string, unknown>, prefix: string): LiveConnection {
  const text = (k: string) => (typeof item[k] === 'string' ? (item[k] as string) : undefined);
  const list = (k: string) => {
    const v = item[k];
    return v instanceof Set || Array.isArray(v)
      ? [...v].filter((x): x is string => typeof x === 'string')
      : [];
  };
  const sub = text('sub') ?? null;
  const principal: Principal = {
    sub,
    username: text('username') ?? sub ?? 'Anonymous',
    orgs: list('orgs'),
    scopes: list('scopes'),
    exp: typeof item.exp === 'number' ? item.exp : null,
  };
  const connectedAt = typeof item.connectedAt === 'number' ? item.connectedAt : Date.now();
  const userAgent = text('userAgent');
  return {
    id: String(item[table.partitionKey]).slice(prefix.length),
    connectedAt,
    lastActiveAt: connectedAt,
    identity: { sourceIp: text('sourceIp') ?? '127.0.0.1', ...(userAgent ? { userAgent } : {}) },
    authorizer: { ...principalToContext(principal), principalId: sub ?? 'anonymous' },
  };
}
