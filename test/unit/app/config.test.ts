import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../shared/app/config';
import { DEFAULTS } from '../../../shared/app/defaults';

describe('the configuration', () => {
  it('takes every default from shared/app/defaults.ts, the one place defaults live', () => {
    const c = loadConfig({});
    expect(c.tableName).toBe(DEFAULTS.TABLE_NAME);
    expect(c.region).toBe(DEFAULTS.AWS_REGION);
    expect(c.auth).toMatchObject({
      jwksCooldownSeconds: DEFAULTS.JWKS_COOLDOWN_SECONDS,
      jwksCacheSeconds: DEFAULTS.JWKS_CACHE_SECONDS,
      algorithms: DEFAULTS.JWT_ALGORITHMS,
      clockToleranceSeconds: DEFAULTS.JWT_CLOCK_TOLERANCE_SECONDS,
      orgsClaim: DEFAULTS.ORGS_CLAIM,
      orgsPrefix: DEFAULTS.ORGS_PREFIX,
      usernameClaims: DEFAULTS.USERNAME_CLAIMS,
      allowAnonymous: DEFAULTS.ALLOW_ANONYMOUS,
      allowedOrigins: DEFAULTS.ALLOWED_ORIGINS,
    });
    expect(c.limits).toEqual({
      ratePerMinute: DEFAULTS.RATE_LIMIT_PER_MINUTE,
      channelsPerConnection: DEFAULTS.MAX_CHANNELS_PER_CONNECTION,
      connectionsPerUser: DEFAULTS.MAX_CONNECTIONS_PER_USER,
      presenceAnnounceMax: DEFAULTS.PRESENCE_ANNOUNCE_MAX,
      maxDataBytes: DEFAULTS.MAX_DATA_BYTES,
      connectionTtlSeconds: DEFAULTS.CONNECTION_TTL_SECONDS,
      sensorRetentionDays: DEFAULTS.SENSOR_RETENTION_DAYS,
    });
    expect(c.fanOut).toEqual({
      concurrency: DEFAULTS.FANOUT_CONCURRENCY,
      pageSize: DEFAULTS.FANOUT_PAGE_SIZE,
      queueUrl: undefined,
      queueThreshold: DEFAULTS.FANOUT_QUEUE_THRESHOLD,
      quotaPerSecond: DEFAULTS.MANAGEMENT_API_QUOTA,
      workers: DEFAULTS.FANOUT_WORKERS,
    });
    expect(c.logLevel).toBe(DEFAULTS.LOG_LEVEL);
    expect(c.localCredentials).toBeUndefined();
  });

  it('validates LOCAL_STACK and LOG_LEVEL with the rest, saying every problem at once', () => {
    const attempt = () => loadConfig({ LOCAL_STACK: 'yes', LOG_LEVEL: 'LOUD', FANOUT_CONCURRENCY: '0' });
    expect(attempt).toThrow(ConfigError);
    for (const variable of [/LOCAL_STACK/, /LOG_LEVEL/, /FANOUT_CONCURRENCY/])
      expect(attempt).toThrow(variable);
    expect(loadConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('DEBUG');
  });

  it('gives the local stack its SDK credentials (local/local unless told) and a quieter log', () => {
    expect(loadConfig({ LOCAL_STACK: 'true' })).toMatchObject({
      localCredentials: {
        accessKeyId: DEFAULTS.LOCAL_ACCESS_KEY_ID,
        secretAccessKey: DEFAULTS.LOCAL_SECRET_ACCESS_KEY,
      },
      logLevel: DEFAULTS.LOCAL_LOG_LEVEL,
    });
    expect(
      loadConfig({ LOCAL_STACK: 'true', LOCAL_ACCESS_KEY_ID: 'AKLOCAL1', LOCAL_SECRET_ACCESS_KEY: 's3cret' })
        .localCredentials,
    ).toEqual({ accessKeyId: 'AKLOCAL1', secretAccessKey: 's3cret' });
    // Outside the local stack the SDK's default chain (the function's role) is used, whatever is set.
    expect(loadConfig({ LOCAL_ACCESS_KEY_ID: 'AKLOCAL1' }).localCredentials).toBeUndefined();
  });
});
