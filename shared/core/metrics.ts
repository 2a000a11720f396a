/**
 * The one list of Switchboard's own metrics: the handlers emit them (the `Metrics` port of ./ports.ts, on
 * AWS Powertools Metrics: EMF, one log line, no API call) and infra/ builds the alarms and the dashboard
 * from the same names. Pure data, no import: the core, a Lambda bundle and the CDK app load it for free.
 *
 * Dimensions: every metric is emitted with the dimension set `[service]`, whose value is the stack name
 * (infra sets POWERTOOLS_SERVICE_NAME to it, which Powertools Metrics uses for its default `service`
 * dimension), so two stacks in one account never add up. The alarms and the dashboard's totals read that set.
 * A metric with a `by` is emitted a second time with `[service, by]` (e.g. Errors by `code`), which only
 * the dashboard's breakdowns read: a CloudWatch alarm has to name every dimension value, a breakdown
 * cannot be alarmed on as a total. A `by` value is always one of a closed set (a frame type the router
 * knows, a protocol code, a namespace, an HTTP status): a client can never mint a new dimension value.
 */
export const METRICS = {
  namespace: 'Switchboard',
  /** Powertools Metrics' default dimension; its value is the stack name (POWERTOOLS_SERVICE_NAME). */
  serviceDimension: 'service',
  metrics: {
    Connects: { unit: 'Count', description: 'connections accepted at $connect' },
    ConnectRefusals: {
      unit: 'Count',
      by: 'status',
      description:
        'handshakes the $connect handler refused, by HTTP status (400, 401, 403, 429); the authorizer’s own 401/403 are API Gateway’s ClientError',
    },
    Disconnects: {
      unit: 'Count',
      description: 'connections removed at $disconnect (or DELETE /v1/connections)',
    },
    Frames: {
      unit: 'Count',
      by: 'type',
      description: 'client frames received, by frame type (`unknown`: no handler was selected for it)',
    },
    Errors: {
      unit: 'Count',
      by: 'code',
      description: 'error frames and problems answered, by protocol code',
    },
    Publishes: {
      unit: 'Count',
      by: 'namespace',
      description:
        'publications stored or delivered, per channel, by namespace (`direct`: to connection ids only)',
    },
    Deliveries: { unit: 'Count', description: 'frames posted to a connection successfully' },
    GoneConnections: {
      unit: 'Count',
      description: 'posts answered 410 Gone: the connection was removed (not a failure)',
    },
    FailedPosts: {
      unit: 'Count',
      description: 'posts that failed for any reason but 410 Gone (throttled, 5xx, timeout)',
    },
    QueuedRecipients: {
      unit: 'Count',
      description:
        'recipients handed to the fan-out workers (a channel over the threshold), or passed on by a worker to a continuation',
    },
    FanOutDuration: {
      unit: 'Milliseconds',
      description: 'time one delivery with at least one recipient took to post to every recipient',
    },
    RecoveredMessages: { unit: 'Count', description: 'stored messages replayed to a client that resumed' },
    RateLimitedFrames: { unit: 'Count', description: 'frames refused by the per-connection rate limit' },
  },
} as const;

type Specs = typeof METRICS.metrics;
export type MetricName = keyof Specs;
/** The metrics emitted a second time with their breakdown dimension. */
export type BreakdownMetric = { [N in MetricName]: Specs[N] extends { by: string } ? N : never }[MetricName];
export type DurationMetric = {
  [N in MetricName]: Specs[N]['unit'] extends 'Milliseconds' ? N : never;
}[MetricName];
/** Counts without a breakdown. */
export type CountMetric = Exclude<MetricName, BreakdownMetric | DurationMetric>;
