import * as z from 'zod/mini';
import english from 'zod/v4/locales/en.js';
import { ProtocolError } from './errors';

/**
 * The rules every frame and every HTTP body share (PROTOCOL.md sections 3, 4 and 7): parsing and validating
 * a frame, the size of `data`, the one channel-name pattern and the one chat-text rule. Each rule is written
 * here once; features and the HTTP API use these, never a copy.
 */

/** A client-chosen message id: the `id` of a frame, the `ref` of its answer. */
export const clientMessageId = z.lazy(() => z.string().check(z.minLength(1), z.maxLength(64)));
export const channelField = z.lazy(() => z.string().check(z.minLength(1), z.maxLength(200)));

/** What may follow `namespace:` in a channel: also what ids that become channel names must be. */
const NAME_CHAR = '[A-Za-z0-9_\\-.@=]';
export const CHANNEL_NAME = new RegExp(`^${NAME_CHAR}{1,128}$`);
/** The pattern in words, for error messages. */
export const CHANNEL_NAME_RULE = '1-128 characters of A-Z a-z 0-9 _ - . @ =';
const ONE_NAME_CHAR = new RegExp(`^${NAME_CHAR}$`);
/** One character of a channel name, `=` excepted (it escapes the others: see userChannel). */
export const isPlainNameChar = (c: string): boolean => c !== '=' && ONE_NAME_CHAR.test(c);

/** A user id, device id or room name that becomes a channel name. */
export const nameField = z.lazy(() =>
  z.string().check(z.regex(CHANNEL_NAME, `must be ${CHANNEL_NAME_RULE}`)),
);

/** A frame the server sends: always a `type`, the rest depends on it. */
export type ServerFrame = { type: string } & Record<string, unknown>;

/**
 * Parses a frame's text: INVALID_JSON unless it is a JSON object. (JSON.parse does not recurse: any depth
 * parses. What is done with the value next may recurse, so checkDepth comes before anything else.)
 */
export function parseFrameText(text: string | null | undefined): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new ProtocolError('INVALID_JSON', 'Frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('INVALID_JSON', 'Frame must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * zod's English messages. `zod/mini` loads no locale (its issues would all say "Invalid input"), and a
 * global `z.config()` would be a side effect of importing this module: every parse names its locale
 * instead, so the texts clients see are zod's English ones wherever the schema gives none of its own.
 * Imported by its own path: `z.locales.en` would bundle every locale (~150 KB).
 */
const { localeError } = english();

/**
 * Parses with zod's English messages and each issue's input (so describeZodError can tell a missing field
 * from one of the wrong type). The one way the code parses a schema.
 */
export const parseWithMessages = <S extends z.ZodMiniType>(schema: S, value: unknown) =>
  schema.safeParse(value, { reportInput: true, error: localeError });

/**
 * How deep objects and arrays may nest in a frame or an HTTP body, the frame or body itself being level 1
 * (PROTOCOL.md section 7): `data` in a frame may nest 31 levels. DynamoDB stores documents at most 32 deep,
 * and the walks that recurse (JSON.stringify, the idempotency fingerprint, zod, structured cloning) stay far
 * from the stack's limit.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * INVALID_MESSAGE when `value` nests objects and arrays deeper than `maxDepth`, found without recursion
 * (an explicit stack), so any depth gets this answer and never a stack overflow; checked right after
 * parsing, before anything recursive touches the value. `maxNodes` bounds the walk for a value that was
 * not parsed from text (the server library's): a graph whose parts are shared, or a cycle (whose depth is
 * endless), is refused rather than walked forever; past it, PAYLOAD_TOO_LARGE.
 */
export function checkDepth(
  value: unknown,
  maxDepth = MAX_JSON_DEPTH,
  maxNodes = Number.POSITIVE_INFINITY,
): void {
  const pending: [unknown, number][] = [[value, 1]];
  let nodes = 0;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > maxDepth) {
      throw new ProtocolError(
        'INVALID_MESSAGE',
        `JSON nests deeper than ${maxDepth} levels of objects and arrays`,
      );
    }
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (++nodes > maxNodes) {
        throw new ProtocolError(
          'PAYLOAD_TOO_LARGE',
          `data has more than ${maxNodes} values: over the size limit`,
        );
      }
      pending.push([child, depth + 1]);
    }
  }
}

/** Validates against a schema; INVALID_MESSAGE naming the first field at fault. */
export function validate<S extends z.ZodMiniType>(schema: S, value: unknown): z.infer<S> {
  const result = parseWithMessages(schema, value);
  if (!result.success) throw new ProtocolError('INVALID_MESSAGE', describeZodError(result.error));
  return result.data;
}

export function describeZodError(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'Invalid message';
  const path = issue.path.map(String).join('.');
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${path || 'value'} is required`;
  if (issue.code === 'too_big' && issue.origin === 'string') {
    return `${path} must be at most ${issue.maximum} characters`;
  }
  if (issue.code === 'too_small' && issue.origin === 'string' && issue.minimum === 1) {
    return `${path} must not be empty`;
  }
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** ISO 8601 UTC with milliseconds, e.g. 2025-01-27T12:30:45.123Z. */
export const isoTime = (epochMs: number): string => new Date(epochMs).toISOString();

const encoder = new TextEncoder();
export const byteLength = (s: string): number => encoder.encode(s).length;

/**
 * PAYLOAD_TOO_LARGE when `data`, as JSON, is over `max` bytes (MAX_DATA_BYTES, or a namespace's own);
 * INVALID_MESSAGE when it nests deeper than a frame's `data` may (checkDepth, before JSON.stringify
 * recurses). Every member of `data` takes a byte of JSON at least, so more than `max` of them is too large.
 */
export function checkDataSize(data: unknown, max: number): void {
  checkDepth(data, MAX_JSON_DEPTH - 1, max);
  const size = byteLength(JSON.stringify(data));
  if (size > max) {
    throw new ProtocolError('PAYLOAD_TOO_LARGE', `data is ${size} bytes; at most ${max} bytes are allowed`);
  }
}

/** Chat text (PROTOCOL.md section 7): at most this many characters, after trimming. */
export const CHAT_TEXT_MAX = 1000;

/** Characters as a reader counts them (code points), as the seeds' Python len() did. */
export const characters = (s: string): number => [...s].length;

/**
 * The one chat-text rule, for a room's `chat_message`, a REST room message and a chat's `content` alike:
 * the text trimmed; INVALID_MESSAGE when nothing is left (`empty` says so in the seed's words where the
 * seed had its own), MESSAGE_TOO_LONG past CHAT_TEXT_MAX characters.
 */
export function chatText(raw: string, field: string, empty = `${field} must not be empty`): string {
  const text = raw.trim();
  if (text.length === 0) throw new ProtocolError('INVALID_MESSAGE', empty);
  const n = characters(text);
  if (n > CHAT_TEXT_MAX) {
    throw new ProtocolError(
      'MESSAGE_TOO_LONG',
      `${field} is ${n} characters; at most ${CHAT_TEXT_MAX} are allowed`,
    );
  }
  return text;
}
