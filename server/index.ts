import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { StaticCredentials } from '../shared/adapters/management-api/client';
import type { Env } from '../shared/app/config';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import { discardMetrics } from '../shared/app/runtime';
import { checkDataSize, validate } from '../shared/core/protocol';
import { type DeliveryStatus, deliveryStatus, type Publication, publish } from '../shared/core/publish';
import { type NotificationInput, notifyUser } from '../shared/features/notifications/notify';
import { publishOrgEvent } from '../shared/features/orgs/org-events';
import { serviceEvent } from '../shared/features/publish/publish';

/**
 * Switchboard for backend code: what seed 004's `broadcast_notification` and `broadcast_org_event` were,
 * for another Lambda, a queue worker or any Node service. It publishes exactly as the HTTP API does (the
 * same `publish`: idempotency, seq, history, delivery), straight to the table and the WebSocket
 * stage's Management API, so it needs no token, only the table name, the callback URL and IAM
 * permissions (docs/server-library.md).
 */
export interface SwitchboardOptions {
  /** The stack's table (stack output `TableName`). */
  tableName: string;
  /** The WebSocket stage's Management API (stack output `WebSocketCallbackUrl`): https://{api}.execute-api.{region}.amazonaws.com/{stage}. */
  callbackUrl: string;
  /** @default AWS_REGION, else the region in the callback URL, else us-east-1 */
  region?: string;
  /** A DynamoDB endpoint other than AWS's (DynamoDB Local, the local stack's). */
  endpoint?: string;
  /** Static credentials for DynamoDB, the Management API and SQS. @default the SDK's default chain (a Lambda's role, ECS, EC2, a profile, …) */
  credentials?: StaticCredentials;
  /** Structured (JSON) log lines of the fan-out on stdout, as the Lambdas write them. @default 'WARN' */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Posts in flight at once while fanning out. @default 64 */
  concurrency?: number;
  /**
   * The stack's fan-out queue (stack output `FanOutQueueUrl`): a channel with more subscribers than the
   * stack's threshold is then handed to its fan-out workers, as the stack's own publishers do, and
   * `publish` resolves as soon as it is queued. @default none: the library posts to every subscriber itself
   */
  fanOutQueueUrl?: string;
  /** Channels with more subscribers than this go to the fan-out queue. @default 2000 */
  fanOutQueueThreshold?: number;
}

export interface PublishOptions {
  /** A repeat with the same id within 24 h (same channel, or user, or organisation) delivers nothing. */
  id?: string;
}

export interface Delivery {
  /** The event's id (the `id` of the frame subscribers got). */
  id: string;
  channel: string;
  /** The event's place in the channel's history, where the channel keeps one. */
  seq?: number;
  /** Connections on the channel. */
  recipients: number;
  /**
   * `delivered`: every recipient was posted to before `publish` resolved. `queued`: the fan-out workers
   * deliver it (`delivered` and `gone` are then 0: they count what the library did itself).
   */
  status: DeliveryStatus;
  delivered: number;
  /** Connections found gone and removed. */
  gone: number;
  /** True when `id` was used before: nothing was delivered this time. */
  duplicate: boolean;
}

export interface Notification {
  title: string;
  message: string;
  /** @default 'normal' */
  priority?: 'low' | 'normal' | 'high';
  link?: string;
  data?: Record<string, unknown>;
}

export interface Switchboard {
  /** `{type, …data}` to every connection on `channel` (any namespace), as POST /v1/publish does. */
  publish(
    channel: string,
    type: string,
    data?: Record<string, unknown>,
    options?: PublishOptions,
  ): Promise<Delivery>;
  /** `notification` on `user:{userId}`: every connection of that user. */
  notifyUser(userId: string, notification: Notification, options?: PublishOptions): Promise<Delivery>;
  /** `event` {org_id, event_type, data} on `org:{orgId}`: the organisation's members. */
  publishOrgEvent(
    orgId: string,
    eventType: string,
    data?: Record<string, unknown>,
    options?: PublishOptions,
  ): Promise<Delivery>;
  /** Closes the kept-alive sockets (a long-running service that is done; a Lambda never needs it). */
  close(): void;
}

export function createSwitchboard(options: SwitchboardOptions): Switchboard {
  const region = options.region ?? process.env.AWS_REGION ?? regionOf(options.callbackUrl) ?? 'us-east-1';
  // The library's own environment (never process.env): its runtime is built exactly as a Lambda's is, and a
  // bad table name, URL or concurrency fails here, not at the first publish.
  const env: Env = {
    TABLE_NAME: options.tableName,
    WS_CALLBACK_URL: options.callbackUrl,
    AWS_REGION: region,
    LOG_LEVEL: options.logLevel ?? 'WARN',
    ...(options.endpoint ? { DYNAMODB_ENDPOINT: options.endpoint } : {}),
    ...(options.concurrency ? { FANOUT_CONCURRENCY: String(options.concurrency) } : {}),
    ...(options.fanOutQueueUrl ? { FANOUT_QUEUE_URL: options.fanOutQueueUrl } : {}),
    ...(options.fanOutQueueThreshold === undefined
      ? {}
      : { FANOUT_QUEUE_THRESHOLD: String(options.fanOutQueueThreshold) }),
  };
  // No metrics: this runs inside another program, whose invocations and logs are its own.
  const rt = createPublisherRuntime(env, {
    metrics: discardMetrics,
    // The lean clients read only the environment's keys; a service elsewhere has the SDK's whole chain.
    credentials: options.credentials ?? defaultProvider(),
  });

  return {
    async publish(channelName, type, data = {}, opts = {}) {
      const channel = rt.channels.parse(channelName);
      const event = validate(serviceEvent, { type, data });
      checkDataSize(event.data, MAX_PUBLISH_DATA_BYTES);
      return delivery(
        await publish(rt, {
          channels: [channel],
          event: { ...event.data, type: event.type },
          ...(opts.id === undefined
            ? {}
            : { idempotency: { key: `server#${channel.id}#${opts.id}`, request: event } }),
        }),
      );
    },
    async notifyUser(userId, notification, opts = {}) {
      const input: NotificationInput = notification;
      return delivery(
        await notifyUser(rt, userId, input, opts.id === undefined ? {} : { idempotencyId: opts.id }),
      );
    },
    async publishOrgEvent(orgId, eventType, data = {}, opts = {}) {
      return delivery(
        await publishOrgEvent(
          rt,
          orgId,
          { event_type: eventType, data },
          opts.id === undefined ? {} : { idempotencyId: opts.id },
        ),
      );
    },
    close() {
      rt.dispose();
    },
  };
}

/** What POST /v1/publish allows a service (its body limit), less room for the frame's envelope. */
const MAX_PUBLISH_DATA_BYTES = 120 * 1024;

/** A publication to one channel, as the library reports it. */
const delivery = (p: Publication): Delivery => {
  const [target] = p.channels;
  return {
    id: p.id,
    channel: target?.channel ?? '',
    ...(target?.seq === undefined ? {} : { seq: target.seq }),
    recipients: p.delivery.recipients,
    status: deliveryStatus(p),
    delivered: p.delivery.delivered,
    gone: p.delivery.gone,
    duplicate: p.duplicate,
  };
};

/** `https://{api}.execute-api.{region}.amazonaws.com/{stage}` → region. */
function regionOf(callbackUrl: string): string | undefined {
  if (!URL.canParse(callbackUrl)) return undefined;
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(new URL(callbackUrl).hostname)?.[1];
}

export type { StaticCredentials } from '../shared/adapters/management-api/client';
export { ProtocolError } from '../shared/core/errors';
