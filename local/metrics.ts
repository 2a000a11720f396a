import type { ServerResponse } from 'node:http';
import type { LambdaName } from '../shared/app/routes';
import { METRICS } from '../shared/core/metrics';
import { sendJson } from './http-util';
import type { LocalLog } from './log';
import type { RequestParts } from './request-parts';

/**
 * The local stack's metrics: the very EMF documents the handlers write (in AWS, CloudWatch reads them from
 * the functions' logs; here the runtime's metrics sink hands them over), summed per second, beside the
 * handlers' durations the invoker measures (Lambda's own Duration metric in AWS; EMF does not carry it).
 * `GET /.local/metrics` serves the last minutes to the console page (web/console.js), which charts them.
 */
export const METRICS_PATH = '/.local/metrics';

/** How far back the stack keeps its seconds. */
export const KEEP_SECONDS = 600;
/** What `GET /.local/metrics` answers without `?seconds=`. */
const DEFAULT_SECONDS = 300;

/** Percentiles of one second's samples (nearest rank). */
export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** One second that had something. */
export interface MetricsSecond {
  /** Epoch seconds. */
  t: number;
  /** Every count's total: `{"Deliveries": 12, "Frames": 3}`. */
  counts: Record<string, number>;
  /** Counts broken down: metric → dimension → value → count, `{"Errors": {"code": {"RATE_LIMITED": 1}}}`. */
  by: Record<string, Record<string, Record<string, number>>>;
  /** The samples of each duration metric (FanOutDuration), summarised. */
  durations: Record<string, Summary>;
  /** The handlers' invocations that ended in this second: how many, and how long they took (ms). */
  latency?: Summary;
}

/** The emulator's own figures, beside the handlers' metrics (API Gateway has no such metric). */
export interface EmulatorGauges {
  /** The most data one connection held accepted but unsent since the start (a client that does not read). */
  bufferedBytesPeak: number;
  /** The bound on it (`--max-buffered-bytes`): a post past it answers 429. */
  maxBufferedBytes: number;
}

export interface MetricsSnapshot {
  /** The `service` dimension of the handlers' metrics (POWERTOOLS_SERVICE_NAME). */
  service: string;
  namespace: string;
  /** The current second (epoch s): the last one in the window, still filling. */
  now: number;
  /** The window's length: the seconds from `now - seconds + 1` to `now`. */
  seconds: number;
  /** The seconds of the window that had something, oldest first; the others had nothing. */
  buckets: MetricsSecond[];
  /** Where the route was given them (the local stack's: createMetricsRoute). */
  emulator?: EmulatorGauges;
}

export interface LocalMetrics {
  /** One EMF document, as a handler wrote it (the runtime's metrics sink). */
  record(document: string): void;
  /** One handler invocation ended after `ms` (the invoker's measure). */
  invocation(lambda: LambdaName, ms: number): void;
  snapshot(seconds?: number): MetricsSnapshot;
}

interface OpenSecond {
  t: number;
  counts: Record<string, number>;
  by: Record<string, Record<string, Record<string, number>>>;
  samples: Record<string, number[]>;
  latencies: number[];
  /** Set once the second is over: its samples are summarised and dropped. */
  closed?: MetricsSecond;
}

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit?: string }[];
}

export interface LocalMetricsOptions {
  /** The handlers' `service` dimension (their POWERTOOLS_SERVICE_NAME): only its documents are charted. */
  service: string;
  log: LocalLog;
  now?: () => number;
}

export function createLocalMetrics({ service, log, now = Date.now }: LocalMetricsOptions): LocalMetrics {
  const seconds = new Map<number, OpenSecond>();
  let malformed = false;

  const second = (t: number): OpenSecond => {
    let s = seconds.get(t);
    if (!s) {
      s = { t, counts: {}, by: {}, samples: {}, latencies: [] };
      seconds.set(t, s);
      for (const old of seconds.keys()) if (old <= t - KEEP_SECONDS) seconds.delete(old);
    }
    return s;
  };

  function record(document: string): void {
    let doc: Record<string, unknown>;
    let directives: EmfDirective[];
    try {
      doc = JSON.parse(document) as Record<string, unknown>;
      const aws = doc._aws as { Timestamp: number; CloudWatchMetrics: EmfDirective[] };
      directives = aws.CloudWatchMetrics;
      if (!Array.isArray(directives)) throw new Error('no CloudWatchMetrics');
      const s = second(Math.floor((Number(aws.Timestamp) || now()) / 1000));
      for (const directive of directives) {
        if (directive.Namespace !== METRICS.namespace) continue;
        for (const set of directive.Dimensions) addSet(s, doc, directive, set);
      }
    } catch (error) {
      // A handler that writes a broken document is a bug worth one line, not one per document.
      if (!malformed)
        log.warn(`a metrics document was not EMF (${String(error)}): ${document.slice(0, 200)}`);
      malformed = true;
    }
  }

  /** `[service]`: totals and samples; `[service, X]`: the breakdown by X; any other set is not charted. */
  function addSet(s: OpenSecond, doc: Record<string, unknown>, directive: EmfDirective, set: string[]): void {
    if (set[0] !== METRICS.serviceDimension || set.length > 2) return;
    if (doc[METRICS.serviceDimension] !== service) return;
    for (const { Name, Unit } of directive.Metrics) {
      const values = [doc[Name]].flat().filter((v): v is number => typeof v === 'number');
      if (set.length === 1) {
        if (Unit === 'Count' || Unit === undefined) s.counts[Name] = (s.counts[Name] ?? 0) + sum(values);
        else s.samples[Name] = [...(s.samples[Name] ?? []), ...values];
        continue;
      }
      const dimension = set[1]!;
      const value = String(doc[dimension]);
      const byName = s.by[Name] ?? {};
      const byDimension = byName[dimension] ?? {};
      byDimension[value] = (byDimension[value] ?? 0) + sum(values);
      byName[dimension] = byDimension;
      s.by[Name] = byName;
    }
  }

  function close(s: OpenSecond): MetricsSecond {
    if (s.closed) return s.closed;
    const view: MetricsSecond = {
      t: s.t,
      counts: s.counts,
      by: s.by,
      durations: Object.fromEntries(Object.entries(s.samples).map(([name, v]) => [name, summarise(v)])),
      ...(s.latencies.length > 0 ? { latency: summarise(s.latencies) } : {}),
    };
    return view;
  }

  return {
    record,
    invocation(_lambda, ms) {
      second(Math.floor(now() / 1000)).latencies.push(ms);
    },
    snapshot(window = DEFAULT_SECONDS) {
      const current = Math.floor(now() / 1000);
      const from = current - window + 1;
      const buckets: MetricsSecond[] = [];
      for (const s of [...seconds.values()].sort((a, b) => a.t - b.t)) {
        if (s.t < from || s.t > current) continue;
        const view = close(s);
        // A second that is over will not change: summarised once, its samples dropped.
        if (s.t < current && !s.closed) {
          s.closed = view;
          s.samples = {};
          s.latencies = [];
        }
        buckets.push(view);
      }
      return { service, namespace: METRICS.namespace, now: current, seconds: window, buckets };
    },
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function summarise(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
  return { count: sorted.length, p50: rank(0.5), p99: rank(0.99), max: sorted.at(-1) ?? 0 };
}

/** `GET /.local/metrics[?seconds=1..600]`: the snapshot as JSON. False for any other request. */
export function createMetricsRoute(metrics: LocalMetrics, emulator?: () => EmulatorGauges) {
  return function serve(res: ServerResponse, request: RequestParts): boolean {
    if (request.rawPath !== METRICS_PATH) return false;
    if (request.method !== 'GET') {
      sendJson(res, 405, { message: 'Method Not Allowed' }, { allow: 'GET' });
      return true;
    }
    const asked = new URLSearchParams(request.rawQueryString).get('seconds');
    const seconds = asked === null ? DEFAULT_SECONDS : Number(asked);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > KEEP_SECONDS) {
      sendJson(res, 400, { message: `seconds must be a whole number from 1 to ${KEEP_SECONDS}` });
      return true;
    }
    const snapshot = metrics.snapshot(seconds);
    sendJson(res, 200, emulator ? { ...snapshot, emulator: emulator() } : snapshot, {
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
    });
    return true;
  };
}
