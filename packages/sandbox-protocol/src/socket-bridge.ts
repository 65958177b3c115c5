import { connect, type Server, type Socket } from 'node:net';

export interface SocketBridge {
  /** Ends every piped connection and stops the server. */
  close(): Promise<void>;
}

/**
 * Pipes each connection `server` accepts to a new connection to the Unix socket at `socketPath`,
 * both ways, closing either side when the other ends. The egress bridges of a sandbox (the runner's
 * inside it, the worker's for a local sandbox it entered) lead the sandbox's loopback port to the
 * egress proxy's socket this way.
 */
export function bridgeToUnixSocket(server: Server, socketPath: string): SocketBridge {
  const open = new Set<Socket>();
  server.on('connection', (client: Socket) => {
    const upstream = connect(socketPath);
    open.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  });
  return {
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
