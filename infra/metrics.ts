/**
 * The one list of Switchboard's own metrics: the handlers emit them (Powertools Metrics, EMF: one log line,
 * no API call) and infra/ builds the alarms and the dashboard from the same names. Pure data, no CDK: a
 * Lambda imports it for free.
 *
 * Dimensions: every metric is emitted with the dimension set `[service]`, whose value is the stack name
 * (infra sets POWERTOOLS_SERVICE_NAME to it, which Powertools Metrics uses for its default `service`
 * dimension), so two stacks in one account never add up. The alarms and the dashboard's totals read that set.
 * A metric with a `by` is emitted a second time with `[service, by]` (e.g. Errors by `code`), which only
 * the dashboard's breakdowns read: a CloudWatch alarm has to name every dimension value, a breakdown
 * cannot be alarmed on as a total.
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
      description: 'connections refused at $connect, by HTTP status (401, 403, 429)',
    },
    Disconnects: { unit: 'Count', description: 'connections removed at $disconnect' },
    Frames: { unit: 'Count', by: 'type', description: 'client frames handled, by frame type' },
    Errors: {
      unit: 'Count',
      by: 'code',
      description: 'error frames and problems answered, by protocol code',
    },
    Publishes: { unit: 'Count', by: 'namespace', description: 'publications accepted, by channel namespace' },
    Deliveries: { unit: 'Count', description: 'frames posted to a connection successfully' },
    GoneConnections: {
      unit: 'Count',
      description: 'posts answered 410 Gone: the connection was removed (not a failure)',
    },
    FailedPosts: {
      unit: 'Count',
      description: 'posts that failed for any reason but 410 Gone (throttled, 5xx, timeout)',
    },
    FanOutDuration: { unit: 'Milliseconds', description: 'time one fan-out took to post to every recipient' },
    RecoveredMessages: { unit: 'Count', description: 'stored messages replayed to a client that resumed' },
    RateLimitedFrames: { unit: 'Count', description: 'frames refused by the per-connection rate limit' },
  },
} as const;

export type MetricName = keyof typeof METRICS.metrics;
