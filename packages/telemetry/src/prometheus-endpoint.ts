import { createServer, type Server } from 'node:http';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { STRATUS_METER } from './catalogue';

/**
 * Serves GET /metrics in the Prometheus text format on the process's internal metrics port. It
 * exposes the metric catalogue only (the auto-instrumentations' own metrics go out over OTLP), and
 * names durations the way the OpenTelemetry-to-Prometheus mapping does, with their unit
 * (`stratus.turn.duration`, unit s → `stratus_turn_duration_seconds`), which the stock exporter omits.
 */
export class PrometheusEndpoint extends MetricReader {
  private readonly serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
  private readonly server: Server;

  constructor() {
    super();
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' || path !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      this.render().then(
        (body) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`# metrics collection failed: ${String(error)}\n`),
      );
    });
  }

  /** Listens on the port; resolves with the bound port (0 picks a free one). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** The exposition text of what is recorded now. */
  async render(): Promise<string> {
    const { resourceMetrics } = await this.collect();
    return this.serializer.serialize(catalogueOnly(resourceMetrics));
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The catalogue's scope, with the unit suffix in the names of instruments measured in seconds. */
function catalogueOnly(resourceMetrics: ResourceMetrics): ResourceMetrics {
  return {
    ...resourceMetrics,
    scopeMetrics: resourceMetrics.scopeMetrics
      .filter((scope) => scope.scope.name === STRATUS_METER)
      .map((scope) => ({
        ...scope,
        metrics: scope.metrics.map((metric) => (metric.descriptor.unit === 's' ? { ...metric, descriptor: { ...metric.descriptor, name: `${metric.descriptor.name}_seconds` } } : metric)),
      })),
  };
}
