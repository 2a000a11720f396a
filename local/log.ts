/**
 * The local stack's own log: one plain line per event, for a developer watching a terminal. Handlers keep
 * logging through Powertools (JSON), at the level this one maps to.
 */
export const logLevels = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LocalLog {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

const rank: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export function createLog(level: LogLevel, write: (line: string) => void = defaultWrite): LocalLog {
  const at = (l: Exclude<LogLevel, 'silent'>) => (message: string) => {
    if (rank[level] >= rank[l]) write(l === 'info' || l === 'debug' ? message : `${l}: ${message}`);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

const defaultWrite = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** The Powertools level the handlers log at (their LOG_LEVEL) for a local log level. */
export const handlerLogLevel = (level: LogLevel): string =>
  level === 'silent' ? 'SILENT' : level === 'debug' ? 'INFO' : level.toUpperCase();

export const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
