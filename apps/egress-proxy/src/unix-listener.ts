import { chmod, rm } from 'node:fs/promises';
import type { Server } from 'node:net';

/**
 * Listens on a Unix socket, replacing a stale one a previous run left. The socket is opened to every
 * local user (0666): local sandboxes run as uids of their own and must connect, and what they send
 * still needs a credential signed with the proxy's key.
 */
export async function listenOnUnixSocket(server: Server, socketPath: string): Promise<void> {
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o666);
}
