import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * Stops the process like a service: the first SIGINT or SIGTERM drains (Nest's shutdown hooks:
 * streams told to reconnect elsewhere, turns handed back, connections closed) and exits 0; a
 * second signal, or a drain longer than `timeoutMs`, exits at once. Nest's own enableShutdownHooks
 * re-raises the signal after closing, which a supervisor or pnpm reports as a failure.
 * `afterDrain` runs once the app is closed, within the same `timeoutMs`: the telemetry's last export,
 * so that the spans and metrics of the drain itself are not lost with the process. Its failure is
 * logged and does not change the exit code: the drain went well.
 */
export function stopOnSignals(app: INestApplication, logger: Logger, timeoutMs: number, afterDrain: () => Promise<void> = async () => undefined): void {
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
    const drained = app.close().then(() =>
      afterDrain().catch((error: unknown) => logger.warn({ err: error }, 'could not flush the last telemetry before exiting')),
    );
    drained.then(
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
