import { beforeAll, describe, expect, it } from 'vitest';
import { PowertoolsMetrics } from '../../shared/adapters/powertools-metrics';
import { usedLambdas } from '../../shared/app/routes';
import { METRICS, type MetricName } from '../../shared/core/metrics';
import { environmentOf, flatten, resourcesOf, synth } from './synth';

/**
 * The alarms and the dashboard read exactly what the handlers write: every reference to Switchboard's own
 * namespace in the synthesized template (alarm metrics, dashboard lines, dashboard searches) names a metric,
 * a dimension set and a `service` value that the handlers' metrics adapter really emits, EMF documents and
 * all. (test/unit/app/metrics.test.ts shows that the handlers emit every metric of the list.)
 */

/** One metric as CloudWatch knows it: namespace, name, and its dimensions by name (values aside). */
interface Reference {
  where: string;
  namespace: string;
  name: string;
  dimensions: Record<string, string | undefined>;
}

describe('the metrics the stack reads and the metrics the handlers write', () => {
  const { stack, template, functionId } = synth();
  const service = stack.stackName;

  /** Every EMF document the adapter writes when each metric of the list is recorded once. */
  const writeAll = async () => {
    const documents: Record<string, unknown>[] = [];
    const metrics = new PowertoolsMetrics({ service, sink: (d) => documents.push(JSON.parse(d)) });
    for (const [name, spec] of Object.entries(METRICS.metrics) as [
      MetricName,
      (typeof METRICS.metrics)[MetricName],
    ][]) {
      if (spec.unit === 'Milliseconds') metrics.duration(name as 'FanOutDuration', 12);
      else if ('by' in spec) metrics.countBy(name as 'Errors', 'some-value');
      else metrics.count(name as 'Connects');
    }
    await metrics.flush();
    const out: { namespace: string; name: string; dimensions: Record<string, string> }[] = [];
    for (const doc of documents) {
      const aws = doc._aws as {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
      for (const directive of aws.CloudWatchMetrics) {
        for (const set of directive.Dimensions) {
          for (const { Name } of directive.Metrics) {
            out.push({
              namespace: directive.Namespace,
              name: Name,
              dimensions: Object.fromEntries(set.map((d) => [d, String(doc[d])])),
            });
          }
        }
      }
    }
    return out;
  };
  let written: Awaited<ReturnType<typeof writeAll>> = [];
  beforeAll(async () => {
    written = await writeAll();
  });

  /** Does the handlers' output hold this metric under these dimension names, with this service? */
  const isWritten = (ref: Reference) =>
    written.some(
      (w) =>
        w.namespace === ref.namespace &&
        w.name === ref.name &&
        Object.keys(w.dimensions).sort().join() === Object.keys(ref.dimensions).sort().join() &&
        w.dimensions.service === ref.dimensions.service,
    );

  const alarmReferences: Reference[] = resourcesOf(template, 'AWS::CloudWatch::Alarm').flatMap(
    ([id, alarm]) => {
      const stats =
        (alarm.Properties.Metrics as { MetricStat?: { Metric: AlarmMetric } }[] | undefined) ?? [];
      const metrics: AlarmMetric[] = [
        ...stats.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : [])),
        ...(alarm.Properties.MetricName ? [alarm.Properties as unknown as AlarmMetric] : []),
      ];
      return metrics.map((m) => ({
        where: `alarm ${id}`,
        namespace: m.Namespace,
        name: m.MetricName,
        dimensions: Object.fromEntries(
          (m.Dimensions ?? []).map((d) => [d.Name, flattenOrUndefined(d.Value)]),
        ),
      }));
    },
  );

  const [, dashboard] = resourcesOf(template, 'AWS::CloudWatch::Dashboard')[0]!;
  const body = JSON.parse(flatten(dashboard.Properties.DashboardBody)) as {
    widgets: { type: string; properties: { title?: string; metrics?: unknown[][] } }[];
  };
  const dashboardLines = body.widgets.flatMap((w) =>
    (w.properties.metrics ?? []).map((line) => ({ title: w.properties.title, line })),
  );
  const dashboardReferences: Reference[] = dashboardLines.flatMap(({ title, line }) => {
    const options = line.at(-1) as { expression?: string };
    if (options.expression) {
      // SEARCH('{Switchboard,service,code} MetricName="Errors" service="Test"', 'Sum', 60)
      const search = /^SEARCH\('\{([^}]+)\} MetricName="([^"]+)" service="([^"]+)"'/.exec(options.expression);
      if (!search) return [];
      const [namespace = '', ...dimensionNames] = search[1]!.split(',');
      return [
        {
          where: `dashboard "${title}" search`,
          namespace,
          name: search[2]!,
          dimensions: Object.fromEntries(
            dimensionNames.map((d) => [d, d === 'service' ? search[3] : undefined]),
          ),
        },
      ];
    }
    const [namespace, name, ...pairs] = line.slice(0, -1) as string[];
    const dimensions: Record<string, string> = {};
    for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
    return [{ where: `dashboard "${title}"`, namespace: namespace!, name: name!, dimensions }];
  });

  const own = [...alarmReferences, ...dashboardReferences].filter((r) => r.namespace === METRICS.namespace);

  it('reads Switchboard’s own metrics in alarms and on the dashboard (the test would prove nothing otherwise)', () => {
    expect(alarmReferences.filter((r) => r.namespace === METRICS.namespace).length).toBeGreaterThan(0);
    expect(dashboardReferences.filter((r) => r.namespace === METRICS.namespace).length).toBeGreaterThan(0);
    // Every metric of the list is on the dashboard: what the handlers record is seen somewhere.
    expect(
      [...new Set(dashboardReferences.map((r) => r.name))].filter((n) => n in METRICS.metrics).sort(),
    ).toEqual(Object.keys(METRICS.metrics).sort());
  });

  it('names only metrics, dimension sets and a service the handlers write', () => {
    const unwritten = own
      .filter((r) => !isWritten(r))
      .map((r) => `${r.where}: ${r.name} [${Object.keys(r.dimensions)}] service=${r.dimensions.service}`);
    expect(unwritten).toEqual([]);
  });

  it('gives every function the service value the alarms and the dashboard read, and the namespace', () => {
    for (const name of usedLambdas()) {
      expect(environmentOf(template, functionId(name))).toMatchObject({
        POWERTOOLS_SERVICE_NAME: service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
      });
    }
  });
});

interface AlarmMetric {
  Namespace: string;
  MetricName: string;
  Dimensions?: { Name: string; Value: unknown }[];
}

function flattenOrUndefined(value: unknown): string | undefined {
  try {
    return flatten(value);
  } catch {
    return undefined;
  }
}
