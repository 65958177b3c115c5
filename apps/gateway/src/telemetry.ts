import { startTelemetry } from '@stratus/telemetry';

// Imported first by main: the SDK instruments http, undici, ioredis and pg only if it starts before they load.
export const telemetry = startTelemetry('stratus-gateway');
