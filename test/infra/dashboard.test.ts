import { describe, expect, it } from 'vitest';
import { usedLambdas } from '../../shared/app/routes';
import { METRICS } from '../../shared/core/metrics';
import { flatten, resourcesOf, synth } from './synth';

interface Widget {
  type: string;
  properties: { title?: string; metrics?: unknown[][]; alarms?: string[]; annotations?: unknown };
}

describe('When the stack is synthesized with its defaults', () => {
  const { stack, template, functionId } = synth();
  const [, dashboard] = resourcesOf(template, 'AWS::CloudWatch::Dashboard')[0]!;
  const body = JSON.parse(flatten(dashboard.Properties.DashboardBody)) as { widgets: Widget[] };
  const graphs = new Map(
    body.widgets.filter((w) => w.type === 'metric').map((w) => [w.properties.title!, w.properties.metrics!]),
  );
  /** A graph's lines: the expressions, and the metrics as `Namespace/Name` with their dimensions. */
  const linesOf = (title: string) => {
    const lines = graphs.get(title);
    if (!lines) throw new Error(`no graph "${title}" (graphs: ${[...graphs.keys()].join(', ')})`);
    return lines.map((line) => {
      const options = line.at(-1) as { expression?: string; label?: string; id?: string };
      if (options.expression) return { expression: options.expression, label: options.label };
      const [namespace, name, ...dimensions] = line.slice(0, -1) as string[];
      return { metric: `${namespace}/${name}`, dimensions, id: options.id };
    });
  };
  const own = [METRICS.serviceDimension, stack.stackName];

  it('is one dashboard named after the stack and its region, in the outputs', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(flatten(dashboard.Properties.DashboardName)).toBe(`${stack.stackName}-\${AWS::Region}`);
    template.hasOutput('DashboardName', {
      Value: { Ref: resourcesOf(template, 'AWS::CloudWatch::Dashboard')[0]![0] },
    });
  });

  it('shows connections per second: connects, disconnects and refusals of this stack, and API Gateway connects', () => {
    const lines = linesOf('Connections per second');
    for (const name of ['Connects', 'Disconnects', 'ConnectRefusals']) {
      const metric = lines.find((l) => l.metric === `${METRICS.namespace}/${name}`)!;
      expect(metric.dimensions).toEqual(own);
      expect(lines).toContainEqual(
        expect.objectContaining({ expression: `${metric.id} / PERIOD(${metric.id})` }),
      );
    }
    expect(lines.some((l) => l.metric === 'AWS/ApiGateway/ConnectCount')).toBe(true);
  });

  it('shows frames and deliveries per second, with the gone and failed posts', () => {
    const lines = linesOf('Frames and deliveries per second');
    for (const name of ['Frames', 'Deliveries', 'GoneConnections', 'FailedPosts']) {
      const metric = lines.find((l) => l.metric === `${METRICS.namespace}/${name}`)!;
      expect(metric.dimensions).toEqual(own);
      expect(lines).toContainEqual(
        expect.objectContaining({ expression: `${metric.id} / PERIOD(${metric.id})` }),
      );
    }
    expect(lines.some((l) => l.metric === 'AWS/ApiGateway/MessageCount')).toBe(true);
  });

  it('breaks errors down by code with a search over this stack only', () => {
    expect(linesOf('Errors by code')).toEqual([
      expect.objectContaining({
        expression: `SEARCH('{Switchboard,service,code} MetricName="Errors" service="${stack.stackName}"', 'Sum', 60)`,
      }),
    ]);
  });

  it('shows the fan-out duration at p50 and p99', () => {
    const lines = graphs.get('Fan-out duration (ms)')!;
    expect(lines.map((l) => [l[1], (l.at(-1) as { stat: string }).stat])).toEqual([
      ['FanOutDuration', 'p50'],
      ['FanOutDuration', 'p99'],
    ]);
  });

  it('shows what the alarms watch: failed-post rate, integration latency, API errors, Lambda, DynamoDB, dead letters', () => {
    expect(linesOf('Failed-post rate (%)')[0]).toMatchObject({
      expression: expect.stringMatching(/^IF\(SUM\(\[/),
    });
    expect(linesOf('Integration latency p99 (ms)').map((l) => l.metric)).toEqual([
      'AWS/ApiGateway/IntegrationLatency',
      'AWS/ApiGateway/IntegrationLatency',
    ]);
    expect(linesOf('API errors').map((l) => l.metric)).toEqual(
      expect.arrayContaining(['AWS/ApiGateway/5xx', 'AWS/ApiGateway/ExecutionError']),
    );
    for (const title of ['Lambda errors', 'Lambda throttles', 'Lambda duration p99 (ms)']) {
      const functions = linesOf(title).map((l) => flatten(l.dimensions![1]));
      expect(functions.sort(), title).toEqual(
        usedLambdas()
          .map((n) => `\${${functionId(n)}}`)
          .sort(),
      );
    }
    expect(linesOf('DynamoDB throttled requests')[0]).toMatchObject({
      expression: expect.stringMatching(/^SUM\(\[/),
    });
    // live-stats' and after-connect's failed invocations, the schedules' undelivered ticks, the fan-out queue's dead letters
    const deadLetters = stack.queues.get('fan-out')!.deadLetterQueue;
    const queueName = (l: { dimensions?: string[] }) => flatten(l.dimensions![1]);
    expect(linesOf('Dead-letter queues (messages)')).toHaveLength(4);
    expect(linesOf('Dead-letter queues (messages)').map(queueName)).toContain(
      flatten(stack.resolve(deadLetters.queueName)),
    );
  });

  it('shows the queued tier: recipients queued per second, and the fan-out queue’s oldest message and backlog', () => {
    const queued = linesOf('Queued recipients per second');
    const metric = queued.find((l) => l.metric === `${METRICS.namespace}/QueuedRecipients`)!;
    expect(metric.dimensions).toEqual(own);
    expect(queued).toContainEqual(
      expect.objectContaining({ expression: `${metric.id} / PERIOD(${metric.id})` }),
    );
    const fanOut = flatten(stack.resolve(stack.queues.get('fan-out')!.queue.queueName));
    expect(linesOf('Work queues: oldest message (s)')).toEqual([
      expect.objectContaining({
        metric: 'AWS/SQS/ApproximateAgeOfOldestMessage',
        dimensions: ['QueueName', expect.anything()],
      }),
    ]);
    expect(linesOf('Work queues: oldest message (s)').map((l) => flatten(l.dimensions![1]))).toEqual([
      fanOut,
    ]);
    expect(
      linesOf('Work queues: messages waiting').map((l) => [l.metric, flatten(l.dimensions![1])]),
    ).toEqual([['AWS/SQS/ApproximateNumberOfMessagesVisible', fanOut]]);
  });

  it('shows the state of every alarm of the stack', () => {
    const status = body.widgets.find((w) => w.type === 'alarm')!;
    const alarmIds = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([id]) => `\${${id}.Arn}`);
    expect(status.properties.alarms!.sort()).toEqual(alarmIds.sort());
  });
});
