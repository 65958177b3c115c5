import net from 'node:net';

/**
 * A TCP load balancer in front of several gateways, as a Kubernetes Service would be: each new
 * connection goes to the next backend in turn, skipping those that refuse. Clients know one URL.
 */
export interface Balancer {
  url: string;
  /** The backend index each connection went to, in order. */
  routed: number[];
  close(): Promise<void>;
}

export async function startBalancer(ports: number[]): Promise<Balancer> {
  const routed: number[] = [];
  const sockets = new Set<net.Socket>();
  let next = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.pause();
    const first = next++;
    const attempt = (tries: number) => {
      if (tries >= ports.length) return client.destroy();
      const index = (first + tries) % ports.length;
      const upstream = net.connect(ports[index]!, '127.0.0.1');
      sockets.add(upstream);
      let connected = false;
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      upstream.once('connect', () => {
        connected = true;
        routed.push(index);
        client.on('error', drop).on('close', drop);
        upstream.on('close', drop);
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        sockets.delete(upstream);
        if (connected) drop();
        else attempt(tries + 1);
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    routed,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
