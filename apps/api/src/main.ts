import 'reflect-metadata';
import { exitOnStartupError, startApi } from './bootstrap/start-api';

startApi().then(
  ({ logger, url }) => logger.info(`Stratus API listening on ${url}`),
  exitOnStartupError,
);
