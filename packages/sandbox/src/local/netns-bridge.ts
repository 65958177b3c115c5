import type { ChildProcess } from 'node:child_process';
import { Server } from 'node:net';
import { bridgeToUnixSocket, type SocketBridge } from '@stratus/sandbox-protocol';
import { CLOSE_INHERITED_FDS } from './inherited-fds';
import { SEND_MESSAGE, startResidentPerl } from './resident-perl';

/** The loopback port inside every local sandbox that leads to the egress proxy (each sandbox has its own network namespace). */
export const EGRESS_BRIDGE_PORT = 3128;
/** Connections one sandbox may hold open through its bridge at once (the proxy caps them per credential too). */
const MAX_BRIDGE_CONNECTIONS = 256;
/** setns and sendmsg system call numbers per architecture (Node's `process.arch`), for the helper below. */
const SYSCALLS: Partial<Record<string, { setns: number; sendmsg: number }>> = { x64: { setns: 308, sendmsg: 46 }, arm64: { setns: 268, sendmsg: 211 } };

/**
 * The worker's helper that opens listening sockets in sandboxes' network namespaces: a perl process
 * (in every Debian base), started once, reading requests `{"id":N,"pid":P}` from its Node.js IPC
 * channel (fd 3). For each it forks a child that joins the network namespace of host pid P
 * (setns), listens on 127.0.0.1:PORT there and sends the socket back over the channel, then exits.
 * A fork of a running perl costs a fraction of a millisecond where starting a program per sandbox
 * (nsenter and a Node.js that listened) cost hundreds of milliseconds on a busy machine.
 *
 * The reply is Node's own IPC framing for a handle: a JSON line `{"cmd":"NODE_HANDLE","type":
 * "net.Server","msg":{"id":N}}` with the socket attached as SCM_RIGHTS, which Node turns into a
 * 'message' event carrying a net.Server (it answers each with a NODE_HANDLE_ACK line, skipped
 * here); a failure is a plain message `{"id":N,"error":"…"}`, both sent with SEND_MESSAGE
 * (CLONE_NEWNET is 0x40000000). Arguments: the port, setns's number, sendmsg's number. It keeps no
 * descriptor the worker inherited but its stdio and the channel (inherited-fds.ts).
 */
const HELPER = `
${CLOSE_INHERITED_FDS}
close_inherited_fds(4);
my ($port, $setns, $sendmsg) = @ARGV;
open(my $channel, "+<&=", 3) or die "channel: $!\\n";
${SEND_MESSAGE}
sub listen_in {
  my ($id, $pid) = @_;
  open(my $namespace, "<", "/proc/$pid/ns/net") or die "open /proc/$pid/ns/net: $!\\n";
  syscall($setns + 0, fileno($namespace), 0x40000000) == 0 or die "setns: $!\\n";
  socket(my $server, 2, 1, 0) or die "socket: $!\\n";
  bind($server, pack("S n C4 x8", 2, $port, 127, 0, 0, 1)) or die "bind 127.0.0.1:$port: $!\\n";
  listen($server, 511) or die "listen: $!\\n";
  send_message(qq({"cmd":"NODE_HANDLE","type":"net.Server","msg":{"id":$id}}\\n), fileno $server);
}
my $buffer = "";
while (sysread($channel, $buffer, 65536, length $buffer)) {
  while ($buffer =~ s/^([^\\n]*)\\n//) {
    next unless $1 =~ /^\\{"id":(\\d+),"pid":(\\d+)\\}$/;
    my ($id, $pid) = ($1, $2);
    my $child = fork();
    die "fork: $!\\n" unless defined $child;
    if ($child == 0) {
      eval { listen_in($id, $pid); 1 } or do {
        (my $error = $@) =~ s/[^ -~]|["\\\\]/ /g;
        $error =~ s/ +$//;
        eval { send_message(qq({"id":$id,"error":"$error"}\\n)) };
      };
      exit 0;
    }
    waitpid($child, 0);
  }
}
`;

interface Pending {
  resolve(server: Server): void;
  reject(error: Error): void;
}

/**
 * Opens the egress bridge's listening socket in sandboxes' network namespaces through one helper
 * process per worker (see HELPER), started on first need and again after it died. The worker holds
 * each socket; no process of the sandbox serves it.
 */
export class NetnsListeners {
  private helper?: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  /** A socket listening on 127.0.0.1:EGRESS_BRIDGE_PORT in the network namespace of host pid `pid`. */
  async listen(pid: number): Promise<Server> {
    if (this.closed) throw new Error('the provider has shut down');
    const helper = this.running();
    const id = this.nextId++;
    const server = new Promise<Server>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    helper.channel?.ref();
    helper.send({ id, pid });
    try {
      return await server;
    } finally {
      if (this.pending.size === 0) helper.channel?.unref();
    }
  }

  close(): void {
    this.closed = true;
    this.helper?.kill('SIGKILL');
  }

  private running(): ChildProcess {
    if (this.helper !== undefined) return this.helper;
    const syscalls = SYSCALLS[process.arch];
    if (syscalls === undefined) throw new Error(`local sandbox egress: no setns/sendmsg system call numbers known for ${process.arch}`);
    const helper = startResidentPerl<{ id?: number; error?: string }>({
      program: HELPER,
      args: [String(EGRESS_BRIDGE_PORT), String(syscalls.setns), String(syscalls.sendmsg)],
      onMessage: (message, handle) => {
        const request = message.id === undefined ? undefined : this.pending.get(message.id);
        if (request === undefined) return;
        this.pending.delete(message.id!);
        if (handle instanceof Server) request.resolve(handle);
        else request.reject(new Error(`the egress bridge could not listen in the sandbox: ${message.error ?? 'no socket received'}`));
      },
      onGone: (reason) => {
        if (this.helper !== helper) return;
        this.helper = undefined;
        for (const request of this.pending.values()) request.reject(new Error(`the egress bridge helper ${reason}`));
        this.pending.clear();
      },
    });
    this.helper = helper;
    return helper;
  }
}

/**
 * Bridges a listening socket in a sandbox's network namespace (NetnsListeners) to the egress proxy's
 * Unix socket, from the worker. Everything sent through it meets the proxy's policy and its check
 * of the sandbox's credential.
 */
export function bridgeEgress(server: Server, proxySocket: string): SocketBridge {
  server.maxConnections = MAX_BRIDGE_CONNECTIONS;
  return bridgeToUnixSocket(server, proxySocket);
}
