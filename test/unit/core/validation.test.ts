import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/app/config';
import { ProtocolError } from '../../../shared/core/errors';
import { nameField, validate } from '../../../shared/core/protocol';
import { subscribeFrame } from '../../../shared/core/session/session-frames';
import { notificationInput } from '../../../shared/features/notifications/notify';
import { serviceEvent } from '../../../shared/features/publish/publish';

/**
 * The texts of INVALID_MESSAGE as clients read them. The schemas are zod/mini, which loads no locale of its
 * own: without the English messages `validate` asks for, every one of these would say "Invalid input".
 */
const messageOf = (schema: Parameters<typeof validate>[0], value: unknown): string => {
  try {
    validate(schema, value);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('INVALID_MESSAGE');
    return (error as ProtocolError).message;
  }
  throw new Error('expected INVALID_MESSAGE');
};

describe('validate', () => {
  it.each([
    [{ type: 'subscribe' }, 'channel is required'],
    [{ type: 'subscribe', channel: '' }, 'channel must not be empty'],
    [{ type: 'subscribe', channel: 'x'.repeat(201) }, 'channel must be at most 200 characters'],
    [{ type: 'subscribe', channel: 7 }, 'channel: Invalid input: expected string, received number'],
    [{ type: 'subscribe', channel: 'room:a', since: -1 }, 'since: Too small: expected number to be >=0'],
    [
      { type: 'subscribe', channel: 'room:a', since: 1.5 },
      'since: Invalid input: expected int, received number',
    ],
    [{ type: 'hello', channel: 'room:a' }, 'type: Invalid input: expected "subscribe"'],
    [[], 'Invalid input: expected object, received array'],
  ])('subscribe frame %j → %s', (frame, message) => {
    expect(messageOf(subscribeFrame, frame)).toBe(message);
  });

  it('gives the schema’s own messages, and zod’s English ones for enums and trimmed texts', () => {
    expect(messageOf(serviceEvent, { type: 'ack' })).toBe('type: is reserved for the server');
    expect(messageOf(notificationInput, { title: 'hi', message: 'there', priority: 'urgent' })).toBe(
      'priority: Invalid option: expected one of "low"|"normal"|"high"',
    );
    expect(messageOf(notificationInput, { title: '   ', message: 'there' })).toBe('title must not be empty');
    expect(messageOf(nameField, 'bad name!')).toBe('must be 1-128 characters of A-Z a-z 0-9 _ - . @ =');
  });

  it('returns what the schema makes of the input: defaults, trimmed texts', () => {
    expect(validate(notificationInput, { title: ' hi ', message: 'there' })).toEqual({
      title: 'hi',
      message: 'there',
      priority: 'normal',
    });
  });
});

describe('loadConfig', () => {
  it('names every problem in zod’s English words', () => {
    expect(() =>
      loadConfig({ RATE_LIMIT_PER_MINUTE: '0', ALLOW_ANONYMOUS: 'maybe', WS_CALLBACK_URL: 'nope' }),
    ).toThrow(
      'Invalid configuration: WS_CALLBACK_URL: Invalid URL; ALLOW_ANONYMOUS: Invalid option: expected one of ' +
        '"0"|"1"|"true"|"false"; RATE_LIMIT_PER_MINUTE: Too small: expected number to be >=1',
    );
  });
});
