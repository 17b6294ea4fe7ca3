// Each request's logger (request.log) is a pino child with the request id bound. Building one
// serialises and redacts its bindings, a few microseconds per request; when the level is above
// info (warn, the usual production setting), most requests write no line at all and the child
// is never used. So then the child is built on the first line actually written.
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** What pino has and FastifyBaseLogger does not declare. */
interface LevelAwareLogger extends FastifyBaseLogger {
  isLevelEnabled(level: string): boolean;
}

function isLevelAware(logger: FastifyBaseLogger): logger is LevelAwareLogger {
  return typeof (logger as Partial<LevelAwareLogger>).isLevelEnabled === 'function';
}

/**
 * The same logger as `parent.child(bindings, options)` for every line written through it; the
 * child exists only once a line passes the level (or the logger is asked for its own child).
 */
class DeferredChildLogger implements FastifyBaseLogger {
  #child: LevelAwareLogger | null = null;

  constructor(
    private readonly parent: LevelAwareLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return (this.#child ?? this.parent).level;
  }

  set level(level: string) {
    this.build().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.build().child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  private write(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    (this.build()[level] as (...lineArgs: unknown[]) => void)(...args);
  }

  private build(): LevelAwareLogger {
    this.#child ??= this.parent.child(this.bindings, this.options) as LevelAwareLogger;
    return this.#child;
  }
}

/**
 * Fastify's childLoggerFactory: pino's child at once when request lines are logged (info or
 * finer, where every request writes some), else a deferred one.
 */
export const createRequestLogger: ChildLoggerFactory = (logger, bindings, options) => {
  if (!isLevelAware(logger) || logger.isLevelEnabled('info')) return logger.child(bindings, options);
  return new DeferredChildLogger(logger, bindings, options);
};
