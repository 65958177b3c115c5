import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { logCorrelation } from '@stratus/telemetry';

export type LogFormat = 'auto' | 'pretty' | 'json';

/**
 * The process's structured logger: JSON lines for machines, or coloured one-line logs for a
 * person at a terminal (`auto` picks by whether stdout is a TTY). Pretty printing runs in-process
 * and synchronously, so the last lines before an exit are never lost.
 */
export function createLogger(level: string, format: LogFormat = 'json', destination: NodeJS.WritableStream = process.stdout): Logger {
  // trace_id and span_id of the active span on every line logged inside one (tracing on).
  const options = { level, base: { service: 'stratus' }, timestamp: pino.stdTimeFunctions.isoTime, mixin: logCorrelation };
  const isTty = (destination as NodeJS.WriteStream).isTTY === true;
  if (format === 'pretty' || (format === 'auto' && isTty)) {
    return pino(options, pretty({ destination, sync: true, colorize: isTty, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
  }
  return pino(options, destination);
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
