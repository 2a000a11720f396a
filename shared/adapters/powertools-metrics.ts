import type { Metrics as Powertools } from '@aws-lambda-powertools/metrics';
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
  /**
   * Takes what was recorded since the last flush (the next invocation starts from nothing) and writes it as
   * EMF documents; nothing when nothing was. Resolves once they are written.
   */
  flush(): Promise<void>;
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

/** What one flush takes: the totals, the breakdowns' values and the duration samples recorded since the last. */
interface Recorded {
  counts: Map<CountMetric | BreakdownMetric, number>;
  breakdowns: Map<BreakdownMetric, Map<string, number>>;
  durations: Map<DurationMetric, number[]>;
}

const nothing = (): Recorded => ({ counts: new Map(), breakdowns: new Map(), durations: new Map() });

/**
 * The Metrics port on Powertools Metrics. Counts are summed in memory during the invocation and each
 * duration kept as a sample; `flush` then writes one document with every metric's total under `[service]`,
 * and one document per breakdown value under `[service, by]` (CloudWatch's embedded metric format gives a
 * document one set of dimension values, so `Errors` with `code` = RATE_LIMITED and with `code` = INTERNAL
 * are two documents).
 *
 * Powertools itself is imported when something is first recorded, not with this module: recording needs
 * none of it, and evaluating it at a cold import took ~8 % of the CPU time of importing a function's SDK
 * clients (issue 15's budget is 25 % for all our code). A function that records nothing in an invocation
 * (GET /v1/health, a history read that succeeds) never loads it; the others load it during their first
 * invocation, while its I/O is under way.
 */
export class PowertoolsMetrics implements MetricsBuffer {
  readonly #options: PowertoolsMetricsOptions;
  #powertools: Promise<Powertools> | undefined;
  #recorded = nothing();

  constructor(options: PowertoolsMetricsOptions) {
    this.#options = options;
  }

  count(name: CountMetric, value = 1): void {
    if (value === 0) return;
    const { counts } = this.#record();
    counts.set(name, (counts.get(name) ?? 0) + value);
  }

  countBy(name: BreakdownMetric, by: string, value = 1): void {
    if (value === 0) return;
    const { counts, breakdowns } = this.#record();
    counts.set(name, (counts.get(name) ?? 0) + value);
    let values = breakdowns.get(name);
    if (!values) {
      values = new Map();
      breakdowns.set(name, values);
    }
    // Powertools drops an empty dimension value (and the document would then count the total twice).
    const key = by === '' ? 'none' : by;
    values.set(key, (values.get(key) ?? 0) + value);
  }

  duration(name: DurationMetric, ms: number): void {
    let samples = this.#record().durations.get(name);
    if (samples && samples.length >= MAX_VALUES) {
      void this.flush();
      samples = undefined;
    }
    if (!samples) {
      samples = [];
      this.#record().durations.set(name, samples);
    }
    samples.push(ms);
  }

  async flush(): Promise<void> {
    const recorded = this.#recorded;
    if (recorded.counts.size === 0 && recorded.durations.size === 0) return;
    this.#recorded = nothing();
    write(await this.#load(), recorded, this.#options.sink);
  }

  /** Where a value goes; the first one starts loading Powertools, which the flush at the end awaits. */
  #record(): Recorded {
    void this.#load();
    return this.#recorded;
  }

  #load(): Promise<Powertools> {
    this.#powertools ??= import('@aws-lambda-powertools/metrics').then(
      ({ Metrics }) => new Metrics({ namespace: METRICS.namespace, serviceName: this.#options.service }),
    );
    return this.#powertools;
  }
}

/** Writes what one flush took through Powertools, which holds nothing before or after. */
function write(powertools: Powertools, recorded: Recorded, sink: PowertoolsMetricsOptions['sink']): void {
  /** One document: what Powertools holds now, then it holds nothing. */
  const emit = () => {
    if (!sink) {
      powertools.publishStoredMetrics();
      return;
    }
    sink(JSON.stringify(powertools.serializeMetrics()));
    powertools.clearMetrics();
    powertools.clearDimensions();
  };
  try {
    for (const [name, value] of recorded.counts) powertools.addMetric(name, unitOf(name), value);
    for (const [name, samples] of recorded.durations) {
      for (const ms of samples) powertools.addMetric(name, unitOf(name), ms);
    }
    emit();
    for (const [name, values] of recorded.breakdowns) {
      for (const [by, value] of values) {
        powertools.addDimension(METRICS.metrics[name].by, by);
        powertools.addMetric(name, unitOf(name), value);
        emit();
      }
    }
  } finally {
    powertools.clearMetrics();
    powertools.clearDimensions();
  }
}

const unitOf = (name: MetricName) => METRICS.metrics[name].unit;
