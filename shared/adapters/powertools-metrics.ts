import { Metrics as Powertools } from '@aws-lambda-powertools/metrics';
import {
  type BreakdownMetric,
  type CountMetric,
  type DurationMetric,
  METRICS,
  type MetricName,
} from '../core/metrics';
import type { Metrics } from '../core/ports';

/** Metrics recorded during an invocation and written out at its end (shared/app/lambda.ts, the local invoker). */
export interface MetricsBuffer extends Metrics {
  /** Writes what was recorded since the last flush as EMF documents and forgets it; nothing when nothing was. */
  flush(): void;
}

export interface PowertoolsMetricsOptions {
  /** The `service` dimension's value: the stack name (POWERTOOLS_SERVICE_NAME). */
  service: string;
  /**
   * Where each EMF document goes, as the JSON text Powertools prints. Absent: Powertools prints it on stdout,
   * which is the function's log in Lambda, where CloudWatch turns it into metrics. The local stack gives
   * its own sink (local/metrics.ts), so that its terminal stays readable and its console can chart them.
   */
  sink?: ((document: string) => void) | undefined;
}

/**
 * EMF takes at most 100 values of one metric per document, and Powertools prints a document on its own (on
 * stdout, past the sink) once a metric holds 100: a document here holds fewer, and more are flushed first.
 */
const MAX_VALUES = 99;

/**
 * The Metrics port on Powertools Metrics. Counts are summed in memory during the invocation and each
 * duration kept as a sample; `flush` then writes one document with every metric's total under `[service]`,
 * and one document per breakdown value under `[service, by]` (CloudWatch's embedded metric format gives a
 * document one set of dimension values, so `Errors` with `code` = RATE_LIMITED and with `code` = INTERNAL
 * are two documents).
 */
export class PowertoolsMetrics implements MetricsBuffer {
  readonly #powertools: Powertools;
  readonly #sink: ((document: string) => void) | undefined;
  readonly #counts = new Map<CountMetric | BreakdownMetric, number>();
  readonly #breakdowns = new Map<BreakdownMetric, Map<string, number>>();
  readonly #durations = new Map<DurationMetric, number[]>();

  constructor(options: PowertoolsMetricsOptions) {
    this.#powertools = new Powertools({ namespace: METRICS.namespace, serviceName: options.service });
    this.#sink = options.sink;
  }

  count(name: CountMetric, value = 1): void {
    if (value !== 0) this.#counts.set(name, (this.#counts.get(name) ?? 0) + value);
  }

  countBy(name: BreakdownMetric, by: string, value = 1): void {
    if (value === 0) return;
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + value);
    let values = this.#breakdowns.get(name);
    if (!values) {
      values = new Map();
      this.#breakdowns.set(name, values);
    }
    // Powertools drops an empty dimension value (and the document would then count the total twice).
    const key = by === '' ? 'none' : by;
    values.set(key, (values.get(key) ?? 0) + value);
  }

  duration(name: DurationMetric, ms: number): void {
    let samples = this.#durations.get(name);
    if (samples && samples.length >= MAX_VALUES) {
      this.flush();
      samples = undefined;
    }
    if (!samples) {
      samples = [];
      this.#durations.set(name, samples);
    }
    samples.push(ms);
  }

  flush(): void {
    if (this.#counts.size === 0 && this.#durations.size === 0) return;
    const powertools = this.#powertools;
    try {
      for (const [name, value] of this.#counts) powertools.addMetric(name, unitOf(name), value);
      for (const [name, samples] of this.#durations) {
        for (const ms of samples) powertools.addMetric(name, unitOf(name), ms);
      }
      this.#emit();
      for (const [name, values] of this.#breakdowns) {
        for (const [by, value] of values) {
          powertools.addDimension(METRICS.metrics[name].by, by);
          powertools.addMetric(name, unitOf(name), value);
          this.#emit();
        }
      }
    } finally {
      this.#counts.clear();
      this.#breakdowns.clear();
      this.#durations.clear();
      powertools.clearMetrics();
      powertools.clearDimensions();
    }
  }

  /** One document: what Powertools holds now, then it holds nothing. */
  #emit(): void {
    if (!this.#sink) {
      this.#powertools.publishStoredMetrics();
      return;
    }
    this.#sink(JSON.stringify(this.#powertools.serializeMetrics()));
    this.#powertools.clearMetrics();
    this.#powertools.clearDimensions();
  }
}

const unitOf = (name: MetricName) => METRICS.metrics[name].unit;
