import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * Stops the process like a service: the first SIGINT or SIGTERM drains (Nest's shutdown hooks:
 * streams told to reconnect elsewhere, turns handed back, connections closed) and exits 0; a
 * second signal, or a drain longer than `timeoutMs`, exits at once. Nest's own enableShutdownHooks
 * re-raises the signal after closing, which a supervisor or pnpm reports as a failure.
 */
export function stopOnSignals(app: INestApplication, logger: Logger, timeoutMs: number): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      logger.warn(`${signal} again: exiting without waiting for the drain`);
      process.exit(130);
    }
    draining = true;
    logger.info(`${signal}: draining, then exiting (send it again to exit at once)`);
    const deadline = setTimeout(() => {
      logger.error(`the drain did not finish within ${timeoutMs} ms; exiting`);
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    app.close().then(
      () => {
        clearTimeout(deadline);
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'the drain failed; exiting');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
