import { Stratus } from '@stratus/sdk';
import { startAllInOne, type AllInOneProcess } from '@stratus/testing';
import { OtlpReceiver } from './otlp-receiver';

/** The built all-in-one exporting its telemetry to a receiver of the test's own, and an SDK client of it. */
export interface TracedAllInOne {
  receiver: OtlpReceiver;
  app: AllInOneProcess;
  stratus: Stratus;
  /** Stops the process (dropping its database), then the receiver. */
  stop(): Promise<void>;
}

/**
 * Starts an OTLP receiver and the built all-in-one exporting to it over OTLP/HTTP JSON, with spans sent
 * in batches every 100 ms (a test waits for them, not for the default 5 s). `env` adds to or overrides that.
 */
export async function startTracedAllInOne(databaseName: string, env: Record<string, string> = {}): Promise<TracedAllInOne> {
  const receiver = await OtlpReceiver.start();
  let app: AllInOneProcess;
  try {
    app = await startAllInOne({
      databaseName,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100', ...env },
    });
  } catch (error) {
    await receiver.close();
    throw error;
  }
  return {
    receiver,
    app,
    stratus: new Stratus({ baseURL: app.baseUrl, token: app.token }),
    async stop() {
      await app.stop();
      await receiver.close();
    },
  };
}
