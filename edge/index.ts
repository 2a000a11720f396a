import { readFileSync } from 'node:fs';
import { createContext, Script } from 'node:vm';
import type {
  CloudFrontFunctionsCookies,
  CloudFrontFunctionsHeaders,
  CloudFrontFunctionsQuerystring,
} from 'aws-lambda';

/**
 * The seed paths function (edge/seed-paths.js) with its configuration: the code CloudFront gets
 * (infra/constructs/seed-paths.ts) and the handler the local stack and the tests run (local/seed-paths.ts),
 * byte for byte the same.
 */

/** What `/ws/chat/{id}/` is: seed 001's rooms (`room:{id}`) or seed 003's chats (`chat:{id}`). */
export type SeedChat = 'rooms' | 'chats';
/** Whose notification frames `/ws/notifications/` speaks: seed 001's or seed 004's (they disagree). */
export type SeedNotifications = '001' | '004';

/** The per-deployment choices, under the names the stack props, `-c` context and local options share. */
export interface SeedPathSettings {
  /** @default 'rooms' */
  readonly seedChat?: SeedChat;
  /** @default '001' */
  readonly seedNotifications?: SeedNotifications;
  /** The counter `/ws/counter/` is: `counter:{seedCounter}` (seed 001 broadcasts to `global_counter`). @default 'global' */
  readonly seedCounter?: string;
}

/** What the function is given: the stage every seed path leads to, and the settings. */
export interface SeedPathsConfig {
  readonly stage: string;
  readonly chat: SeedChat;
  readonly notifications: SeedNotifications;
  readonly counter: string;
}

export const SEED_PATH_DEFAULTS = {
  seedChat: 'rooms',
  seedNotifications: '001',
  seedCounter: 'global',
} as const;

const CHATS: readonly SeedChat[] = ['rooms', 'chats'];
const NOTIFICATIONS: readonly SeedNotifications[] = ['001', '004'];
/** shared/core/protocol.ts's channel name (CHANNEL_NAME), and the stack's stage name. */
const CHANNEL_NAME = /^[A-Za-z0-9_\-.@=]{1,128}$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** Every problem of the settings, naming the setting; empty when they are fine. */
export function seedPathSettingsProblems(settings: { [K in keyof SeedPathSettings]?: unknown }): string[] {
  const problems: string[] = [];
  const { seedChat, seedNotifications, seedCounter } = settings;
  if (seedChat !== undefined && !CHATS.includes(seedChat as SeedChat)) {
    problems.push(`seedChat must be "rooms" (seed 001) or "chats" (seed 003), got "${seedChat}"`);
  }
  if (seedNotifications !== undefined && !NOTIFICATIONS.includes(seedNotifications as SeedNotifications)) {
    problems.push(
      `seedNotifications must be "001" or "004" (the seed whose frames), got "${seedNotifications}"`,
    );
  }
  if (seedCounter !== undefined && !(typeof seedCounter === 'string' && CHANNEL_NAME.test(seedCounter))) {
    problems.push(`seedCounter "${seedCounter}" must be 1–128 of A-Z a-z 0-9 _ - . @ = (a counter's name)`);
  }
  return problems;
}

/** The function's configuration: the settings with their defaults. Throws on settings that are wrong. */
export function seedPathsConfig(stage: string, settings: SeedPathSettings = {}): SeedPathsConfig {
  const problems = seedPathSettingsProblems({
    seedChat: settings.seedChat,
    seedNotifications: settings.seedNotifications,
    seedCounter: settings.seedCounter,
  });
  if (!STAGE_NAME.test(stage)) problems.push(`stage "${stage}" must be 1–128 letters, digits, '-' or '_'`);
  if (problems.length > 0) throw new Error(`Invalid seed path settings: ${problems.join('; ')}`);
  return {
    stage,
    chat: settings.seedChat ?? SEED_PATH_DEFAULTS.seedChat,
    notifications: settings.seedNotifications ?? SEED_PATH_DEFAULTS.seedNotifications,
    counter: settings.seedCounter ?? SEED_PATH_DEFAULTS.seedCounter,
  };
}

const SOURCE_URL = new URL('./seed-paths.js', import.meta.url);
const SOURCE = readFileSync(SOURCE_URL, 'utf8');
/** The lines put in front of the file: `'use strict'` (CloudFront runs every function in strict mode) and the config. */
const PREFIX_LINES = 2;

/** CloudFront's quota on a function's code. */
export const MAX_FUNCTION_BYTES = 10 * 1024;

/** The function's code with its configuration in front: what CloudFront runs, and what the local stack runs. */
export function seedPathsCode(config: SeedPathsConfig): string {
  const { stage, chat, notifications, counter } = seedPathsConfig(config.stage, {
    seedChat: config.chat,
    seedNotifications: config.notifications,
    seedCounter: config.counter,
  });
  const code = `'use strict';\nconst config = ${JSON.stringify({ stage, chat, notifications, counter })};\n${SOURCE}`;
  const bytes = Buffer.byteLength(code);
  if (bytes > MAX_FUNCTION_BYTES) {
    throw new Error(
      `The seed paths function is ${bytes} bytes; CloudFront takes at most ${MAX_FUNCTION_BYTES}`,
    );
  }
  return code;
}

/**
 * The headers CloudFront passes from the viewer to API Gateway (the distribution's origin request policy):
 * the WebSocket handshake's and Origin (the allowed-origins check). Not Host: API Gateway must see its own.
 * Not Authorization either: origin request policies may not forward it (the function moves a bearer token
 * into `?token=` instead).
 */
export const FORWARDED_HEADERS = [
  'Sec-WebSocket-Key',
  'Sec-WebSocket-Version',
  'Sec-WebSocket-Extensions',
  'Sec-WebSocket-Protocol',
  'Origin',
] as const;

/** A CloudFront Functions viewer-request event (the fields this function and its tests use). */
export interface ViewerRequestEvent {
  version: '1.0';
  context: {
    distributionDomainName: string;
    distributionId: string;
    eventType: 'viewer-request';
    requestId: string;
  };
  viewer: { ip: string };
  request: ViewerRequest;
}

export interface ViewerRequest {
  method: string;
  /** The path as sent, still percent-encoded. */
  uri: string;
  /** Names and values as sent, still percent-encoded. Runtime 2.0 also takes a string back. */
  querystring: CloudFrontFunctionsQuerystring | string;
  headers: CloudFrontFunctionsHeaders;
  cookies: CloudFrontFunctionsCookies;
}

/** A response the function generates instead of forwarding the request. */
export interface GeneratedResponse {
  statusCode: number;
  statusDescription?: string;
  headers?: CloudFrontFunctionsHeaders;
  body?: string | { encoding: 'text' | 'base64'; data: string };
}

export type SeedPathsFunction = (event: ViewerRequestEvent) => ViewerRequest | GeneratedResponse;

export const isGeneratedResponse = (result: ViewerRequest | GeneratedResponse): result is GeneratedResponse =>
  typeof (result as GeneratedResponse).statusCode === 'number';

/**
 * The function as CloudFront would run it, in a context of its own: only the language's built-ins (no
 * `require`, `process`, timers or URL, as in the cloudfront-js-2.0 runtime), strict mode, and errors that
 * point at lines of edge/seed-paths.js.
 */
export function loadSeedPaths(config: SeedPathsConfig): SeedPathsFunction {
  return loadFunctionCode(seedPathsCode(config));
}

/** Runs code as {@link loadSeedPaths} does: also what a synthesized template holds (test/infra/edge.test.ts). */
export function loadFunctionCode(code: string): SeedPathsFunction {
  const context = createContext({});
  new Script(code, { filename: SOURCE_URL.pathname, lineOffset: -PREFIX_LINES }).runInContext(context);
  const handler: unknown = context.handler;
  if (typeof handler !== 'function') throw new Error('edge/seed-paths.js defines no function handler(event)');
  return (event) => handler(event) as ViewerRequest | GeneratedResponse;
}
