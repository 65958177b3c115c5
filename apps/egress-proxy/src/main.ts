import type { AddressInfo } from 'node:net';
import { SandboxLiveness } from '@stratus/sandbox';
import pino from 'pino';
import { ConfigError, loadConfig } from './config';
import { createEgressProxy } from './proxy-server';
import { listenOnUnixSocket } from './unix-listener';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel, base: { service: 'stratus-egress-proxy' }, timestamp: pino.stdTimeFunctions.isoTime });
  const server = createEgressProxy({
    signingKeys: config.signingKeys,
    connectPorts: config.connectPorts,
    forwardPorts: config.forwardPorts,
    idleTimeoutMs: config.idleTimeoutMs,
    maxConnectionsPerCredential: config.maxConnectionsPerCredential,
    sandboxLiveness:
      config.sandboxCheck === undefined
        ? undefined
        : new SandboxLiveness({ connection: { kubeconfigPath: config.sandboxCheck.kubeconfigPath }, namespace: config.sandboxCheck.namespace, cacheMs: config.sandboxCheck.cacheMs }),
    allowPrivateAddresses: config.allowPrivateAddresses,
    logger,
  });
  if (config.socketPath !== undefined) {
    await listenOnUnixSocket(server, config.socketPath);
    logger.info({ socketPath: config.socketPath }, 'stratus egress proxy listening');
  } else {
    await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
    const { address, port } = server.address() as AddressInfo;
    logger.info({ address, port }, 'stratus egress proxy listening');
  }

  const stop = () => {
    // Open tunnels are the sandboxes' downloads: let them finish within the pod's grace period.
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`stratus-egress-proxy: ${error instanceof ConfigError ? error.message : String((error as Error).stack ?? error)}`);
  process.exit(1);
});
