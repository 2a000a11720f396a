import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonLineLog } from '../../../shared/app/authorizer';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const TRACE = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

/** What Powertools Logger writes for one entry, as parsed JSON (the authorizer's lines must read the same). */
function powertoolsLine(message: string, extra: Record<string, unknown>): Record<string, unknown> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  new Logger({ serviceName: 'switchboard', logLevel: 'INFO' }).info(message, extra);
  vi.restoreAllMocks();
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

describe("the authorizer's log", () => {
  it('writes one JSON line per entry with the keys and values Powertools Logger writes', () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', TRACE);
    const lines: string[] = [];
    jsonLineLog('INFO', (line) => lines.push(line)).info('connect refused', {
      reason: 'a token is required',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    const ours = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    const theirs = powertoolsLine('connect refused', { reason: 'a token is required' });
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect({ ...ours, timestamp: undefined }).toEqual({ ...theirs, timestamp: undefined });
    expect(ours).toMatchObject({ level: 'INFO', xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793' });
    expect(Date.parse(String(ours.timestamp))).not.toBeNaN();
  });

  it('writes nothing below its level, and nothing at all when SILENT', () => {
    const lines: string[] = [];
    const warn = jsonLineLog('WARN', (line) => lines.push(line));
    warn.debug('d');
    warn.info('i');
    warn.warn('w');
    warn.error('e', { error: 'boom' });
    expect(lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['WARN', 'ERROR']);
    const silent = jsonLineLog('SILENT', (line) => lines.push(line));
    silent.error('e');
    expect(lines).toHaveLength(2);
  });
});
