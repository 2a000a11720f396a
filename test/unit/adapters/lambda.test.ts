import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LambdaLiveStatsTrigger, LIVE_PUSH_START_EVENT } from '../../../shared/adapters/lambda';
import { MemoryLog } from '../../support/fakes';

const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

describe('LambdaLiveStatsTrigger', () => {
  it('starts the live-stats function with an asynchronous Invoke', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const trigger = new LambdaLiveStatsTrigger({
      functionName: 'Switchboard-LiveStats',
      region: 'eu-west-1',
      log: new MemoryLog(),
    });
    await trigger.start();
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call!.args[0].input).toMatchObject({
      FunctionName: 'Switchboard-LiveStats',
      InvocationType: 'Event',
    });
    expect(JSON.parse(new TextDecoder().decode(call!.args[0].input.Payload as Uint8Array))).toEqual(
      LIVE_PUSH_START_EVENT,
    );
  });

  it('does nothing but warn when no function is configured', async () => {
    const log = new MemoryLog();
    await new LambdaLiveStatsTrigger({ functionName: undefined, region: 'eu-west-1', log }).start();
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(log.lines).toEqual([expect.objectContaining({ level: 'warn' })]);
  });

  it('lets a failed Invoke reach the caller', async () => {
    lambda.on(InvokeCommand).rejects(new Error('AccessDeniedException'));
    const trigger = new LambdaLiveStatsTrigger({
      functionName: 'f',
      region: 'eu-west-1',
      log: new MemoryLog(),
    });
    await expect(trigger.start()).rejects.toThrow('AccessDeniedException');
  });
});
