import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/** The process's structured logger (JSON lines). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'stratus' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Routes NestJS's own log calls into pino, so every line is structured. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  /**
   * A Nest Logger with a context calls this as (message, ...params, context): `logger.warn({ sessionId },
   * 'text')` arrives as ({ sessionId }, 'text', 'Context'), and the text becomes pino's `msg`.
   */
  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, rest: unknown[]): void {
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const text = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...message }, text);
    else this.logger[level]({ context }, String(message));
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
}
