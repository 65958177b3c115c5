import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { type BeforeApplicationShutdown, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * Closes, at shutdown, the connections that never carried a request: clients and proxies open
 * spare ones. Node's server.close() ends idle keep-alive connections but counts one that has
 * not sent a request yet as busy and waits for it until headersTimeout (a minute), which would
 * hold a gateway's shutdown long after its streams were handed over.
 */
@Injectable()
export class UnusedConnections implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly unused = new Set<Socket>();

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    server.on('connection', (socket: Socket) => {
      this.unused.add(socket);
      socket.once('close', () => this.unused.delete(socket));
    });
    server.on('request', (request: IncomingMessage) => this.unused.delete(request.socket));
  }

  beforeApplicationShutdown(): void {
    for (const socket of this.unused) socket.destroy();
  }
}
