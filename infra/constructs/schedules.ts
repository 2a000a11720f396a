import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule as RuleSchedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Schedule } from '../../shared/app/routes';
import { constructIdOf, type FunctionsByName, functionNamed } from './function';

export interface SwitchboardSchedulesProps {
  /** The schedules of the route table. */
  readonly schedules: readonly Schedule[];
  /** The functions the schedules name. */
  readonly functions: FunctionsByName;
  /** Where EventBridge puts a tick it could not deliver to its Lambda (throttled, function missing, no permission). */
  readonly deadLetterQueue: IQueue;
}

/** One EventBridge rule per schedule of the table, `rate(n minutes)`, invoking its Lambda. */
export class SwitchboardSchedules extends Construct {
  public readonly rules: ReadonlyMap<string, Rule>;

  constructor(scope: Construct, id: string, props: SwitchboardSchedulesProps) {
    super(scope, id);
    const problems = scheduleProblems(props.schedules);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const rules = new Map<string, Rule>();
    for (const schedule of props.schedules) {
      rules.set(
        schedule.name,
        new Rule(this, constructIdOf(schedule.name), {
          description: `Switchboard schedule ${schedule.name}: ${schedule.lambda} every ${schedule.everyMinutes} min`,
          schedule: RuleSchedule.rate(Duration.minutes(schedule.everyMinutes)),
          // A missed tick is not worth a late one: the next comes within minutes anyway. It is kept in the
          // dead-letter queue, though, whose alarm says that ticks are being lost.
          targets: [
            new LambdaFunction(functionNamed(props.functions, schedule.lambda).function, {
              retryAttempts: 0,
              deadLetterQueue: props.deadLetterQueue,
            }),
          ],
        }),
      );
    }
    this.rules = rules;
  }
}

/** What is wrong with a list of schedules: EventBridge rates are whole minutes, and names must be unique. */
export function scheduleProblems(schedules: readonly Schedule[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { name, everyMinutes } of schedules) {
    if (!Number.isInteger(everyMinutes) || everyMinutes < 1) {
      problems.push(`schedule ${name}: everyMinutes must be a whole number ≥ 1, got ${everyMinutes}`);
    }
    if (seen.has(name)) problems.push(`schedule ${name} is listed twice`);
    seen.add(name);
  }
  return problems;
}
