import { DynamoChatStore } from '../adapters/dynamo/chat-store';
import { createDocumentClient } from '../adapters/dynamo/client';
import { DynamoConnectionStore } from '../adapters/dynamo/connection-store';
import { DynamoCounterStore } from '../adapters/dynamo/counter-store';
import type { DocumentClient } from '../adapters/dynamo/document-client';
import { DynamoIdempotencyStore } from '../adapters/dynamo/idempotency-store';
import { DynamoIotStore } from '../adapters/dynamo/iot-store';
import { DynamoLivePushStore } from '../adapters/dynamo/live-push-store';
import { DynamoMessageStore } from '../adapters/dynamo/message-store';
import type { ChannelAccess } from '../core/channels';
import type { ParticipantCheck } from '../core/feature';
import type { ConnectionStore, IdempotencyStore, MessageStore } from '../core/ports';
import { features } from '../features';
import type { ChatStore } from '../features/chat/store';
import type { CounterStore } from '../features/counters/store';
import { RegistryCache } from '../features/iot/registry-cache';
import type { IotStore } from '../features/iot/store';
import type { LivePushStore } from '../features/live-stats/store';
import { type BaseOverrides, type BaseRuntime, createBaseRuntime } from './base-runtime';
import type { Env } from './config';

/**
 * The runtime of a function that reads and writes the table but posts to no connection (GET history and
 * presence, GET /v1/stats, the live-push switch): the base runtime, the stores on DynamoDB, the IoT
 * registry cache and who may read a channel. No Management API client: ./runtime.ts adds it.
 */
export interface TableRuntime extends BaseRuntime, Stores {
  /** The IoT registry lookups of this container. */
  readonly iotRegistry: RegistryCache;
  readonly access: ChannelAccess;
}

export interface Stores {
  readonly connections: ConnectionStore;
  readonly messages: MessageStore;
  readonly idempotency: IdempotencyStore;
  readonly chats: ChatStore;
  readonly iot: IotStore;
  readonly counters: CounterStore;
  readonly livePush: LivePushStore;
}

/** Fakes for some stores (tests), besides what the base runtime takes. */
export interface TableOverrides extends BaseOverrides, Partial<Stores> {}

/** Builds the table runtime from an environment. Configuration errors throw here. */
export function createTableRuntime(env: Env, overrides: TableOverrides = {}): TableRuntime {
  const base = createBaseRuntime(env, overrides);
  const { config, clock, credentials } = base;
  // The table's client only when a store needs it: a runtime of fakes opens no socket.
  let db: DocumentClient | undefined;
  const table = (): DocumentClient =>
    (db ??= createDocumentClient({
      region: config.region,
      endpoint: config.dynamodbEndpoint,
      pipeline: config.dynamodbPipeline,
      // Static keys or a provider (the server library's default chain), as the other lean clients get them.
      ...(credentials ? { credentials } : {}),
    }));
  const iot = overrides.iot ?? new DynamoIotStore(table(), config.tableName, clock);
  const rt = {
    ...base,
    connections:
      overrides.connections ??
      new DynamoConnectionStore(table(), config.tableName, clock, (c) => base.channels.subscriberShards(c)),
    messages: overrides.messages ?? new DynamoMessageStore(table(), config.tableName, clock),
    idempotency: overrides.idempotency ?? new DynamoIdempotencyStore(table(), config.tableName),
    chats: overrides.chats ?? new DynamoChatStore(table(), config.tableName, clock),
    iot,
    counters: overrides.counters ?? new DynamoCounterStore(table(), config.tableName),
    livePush: overrides.livePush ?? new DynamoLivePushStore(table(), config.tableName),
    iotRegistry: new RegistryCache(iot, clock),
    dispose() {
      base.dispose();
      db?.destroy();
    },
  };
  return { ...rt, access: composeAccess(rt) };
}

/** Who the participants of a `participants` namespace are: its feature says. */
function composeAccess(deps: Omit<TableRuntime, 'access'>): ChannelAccess {
  const checks: Record<string, ParticipantCheck | undefined> = {};
  for (const feature of Object.values(features)) Object.assign(checks, feature.participants?.(deps));
  for (const ns of deps.channels.namespaces) {
    if (ns.audience === 'participants' && !checks[ns.name]) {
      throw new Error(
        `namespace "${ns.name}" has the participants audience, but no feature says who they are`,
      );
    }
  }
  return {
    isParticipant: (channel, userId) =>
      checks[channel.namespace.name]?.(channel, userId) ?? Promise.resolve(false),
  };
}
