import type { ChildProcess } from 'node:child_process';
import { Server } from 'node:net';
import { CLOSE_INHERITED_FDS } from './inherited-fds';
import { EGRESS_BRIDGE_PORT } from './netns-bridge';
import { SEND_MESSAGE, startResidentPerl } from './resident-perl';

/** System call numbers the helper makes by number, per architecture (Node's `process.arch`). */
const SYSCALLS: Partial<Record<string, { setns: number; sendmsg: number; prlimit64: number; setresuid: number; setresgid: number }>> = {
  x64: { setns: 308, sendmsg: 46, prlimit64: 302, setresuid: 117, setresgid: 119 },
  arm64: { setns: 268, sendmsg: 211, prlimit64: 261, setresuid: 147, setresgid: 149 },
};

/**
 * The worker's helper for what Node.js has no call for: a perl process (in every Debian base),
 * started once, reading requests from its Node.js IPC channel (fd 3), answering each with its id.
 * A request to a running perl costs a fraction of a millisecond where a program started per sandbox
 * (nsenter and a Node.js that listened; `prlimit` and `setpriv` in front of bubblewrap) cost tens to
 * hundreds of milliseconds on a busy machine.
 *
 * - `{"id":N,"listen":P}`: forks a child that joins the network namespace of host pid P (setns),
 *   listens on 127.0.0.1:PORT there and sends the socket back over the channel, then exits.
 * - `{"id":N,"limit":P,"as":U,"rlimits":"R=V,…"}`: sets each rlimit R of host pid P to V, soft and
 *   hard (prlimit64), and answers `{"id":N,"ok":1}`. Changing another process's rlimits takes
 *   CAP_SYS_RESOURCE (which a root worker in a container often lacks) or the same uid and gid as
 *   it: so a forked child switches to uid and gid U (P's, given by the worker; -1 when P runs as the
 *   helper's own uid) and sets them, which only ever lowers them.
 *
 * A socket goes back in Node's own IPC framing for a handle: a JSON line `{"cmd":"NODE_HANDLE",
 * "type":"net.Server","msg":{"id":N}}` with the socket attached as SCM_RIGHTS, which Node turns into
 * a 'message' event carrying a net.Server (it answers each with a NODE_HANDLE_ACK line, skipped
 * here); a failure is a plain message `{"id":N,"error":"…"}`, both sent with SEND_MESSAGE
 * (CLONE_NEWNET is 0x40000000). Arguments: the port, then the numbers of setns, sendmsg, prlimit64,
 * setresuid and setresgid. It keeps no descriptor the worker inherited but its stdio and the channel
 * (inherited-fds.ts): its children's sockets are made in sandboxes' network namespaces.
 */
const HELPER = `
${CLOSE_INHERITED_FDS}
close_inherited_fds(4);
my ($port, $setns, $sendmsg, $prlimit64, $setresuid, $setresgid) = @ARGV;
open(my $channel, "+<&=", 3) or die "channel: $!\\n";
${SEND_MESSAGE}
sub send_error {
  my ($id, $error) = @_;
  $error =~ s/[^ -~]|["\\\\]/ /g;
  $error =~ s/ +$//;
  eval { send_message(qq({"id":$id,"error":"$error"}\\n)) };
}
sub listen_in {
  my ($id, $pid) = @_;
  open(my $namespace, "<", "/proc/$pid/ns/net") or die "open /proc/$pid/ns/net: $!\\n";
  syscall($setns + 0, fileno($namespace), 0x40000000) == 0 or die "setns: $!\\n";
  socket(my $server, 2, 1, 0) or die "socket: $!\\n";
  bind($server, pack("S n C4 x8", 2, $port, 127, 0, 0, 1)) or die "bind 127.0.0.1:$port: $!\\n";
  listen($server, 511) or die "listen: $!\\n";
  send_message(qq({"cmd":"NODE_HANDLE","type":"net.Server","msg":{"id":$id}}\\n), fileno $server);
}
sub limit {
  my ($id, $pid, $uid, $rlimits) = @_;
  if ($uid >= 0) {
    syscall($setresgid + 0, 0 + $uid, 0 + $uid, 0 + $uid) == 0 && syscall($setresuid + 0, 0 + $uid, 0 + $uid, 0 + $uid) == 0 or die "setuid $uid: $!\\n";
  }
  for (split /,/, $rlimits) {
    my ($r, $v) = split /=/;
    syscall($prlimit64 + 0, 0 + $pid, 0 + $r, pack("QQ", $v, $v), 0) == 0 or die "rlimit $r of pid $pid: $!\\n";
  }
  send_message(qq({"id":$id,"ok":1}\\n));
}
my $buffer = "";
while (sysread($channel, $buffer, 65536, length $buffer)) {
  while ($buffer =~ s/^([^\\n]*)\\n//) {
    my ($request, $id, $work, @args) = ($1);
    if ($request =~ /^\\{"id":(\\d+),"listen":(\\d+)\\}$/) { ($id, $work, @args) = ($1, \\&listen_in, $2); }
    elsif ($request =~ /^\\{"id":(\\d+),"limit":(\\d+),"as":(-1|\\d+),"rlimits":"([0-9=,]*)"\\}$/) { ($id, $work, @args) = ($1, \\&limit, $2, $3, $4); }
    else { next; }
    # Each in a child of its own: what it joins or switches to never touches the helper.
    my $child = fork();
    die "fork: $!\\n" unless defined $child;
    if ($child == 0) {
      eval { $work->($id, @args); 1 } or send_error($id, $@);
      exit 0;
    }
    waitpid($child, 0);
  }
}
`;

interface Pending {
  resolve(reply: Server | undefined): void;
  reject(error: Error): void;
}

type Request = { listen: number } | { limit: number; as: number; rlimits: string };

/**
 * One helper process per worker (see HELPER), started on first need and again after it died. The
 * worker holds each listening socket it hands over; no process of the sandbox serves it.
 */
export class HostHelper {
  private helper?: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  /** A socket listening on 127.0.0.1:EGRESS_BRIDGE_PORT in the network namespace of host pid `pid`. */
  async listen(pid: number): Promise<Server> {
    const server = await this.request({ listen: pid }, 'the egress bridge could not listen in the sandbox');
    if (server === undefined) throw new Error('the egress bridge could not listen in the sandbox: no socket received');
    return server;
  }

  /** Lowers rlimits (resource number → value, soft = hard) of host pid `pid`, which runs as `uid` (undefined: as the worker). */
  async limit(pid: number, uid: number | undefined, rlimits: ReadonlyArray<readonly [number, number]>): Promise<void> {
    const values = rlimits.map(([resource, value]) => `${resource}=${value}`).join(',');
    await this.request({ limit: pid, as: uid ?? -1, rlimits: values }, "the sandbox's rlimits could not be set");
  }

  close(): void {
    this.closed = true;
    this.helper?.kill('SIGKILL');
  }

  private async request(request: Request, failure: string): Promise<Server | undefined> {
    if (this.closed) throw new Error('the provider has shut down');
    const helper = this.running();
    const id = this.nextId++;
    const reply = new Promise<Server | undefined>((resolve, reject) =>
      this.pending.set(id, { resolve, reject: (error) => reject(new Error(`${failure}: ${error.message}`)) }),
    );
    helper.channel?.ref();
    helper.send({ id, ...request });
    try {
      return await reply;
    } finally {
      if (this.pending.size === 0) helper.channel?.unref();
    }
  }

  private running(): ChildProcess {
    if (this.helper !== undefined) return this.helper;
    const syscalls = SYSCALLS[process.arch];
    if (syscalls === undefined) throw new Error(`local sandboxes: no system call numbers (setns, sendmsg, prlimit64, setresuid, setresgid) known for ${process.arch}`);
    const helper = startResidentPerl<{ id?: number; error?: string; ok?: number }>({
      program: HELPER,
      args: [String(EGRESS_BRIDGE_PORT), ...[syscalls.setns, syscalls.sendmsg, syscalls.prlimit64, syscalls.setresuid, syscalls.setresgid].map(String)],
      onMessage: (message, handle) => {
        const request = message.id === undefined ? undefined : this.pending.get(message.id);
        if (request === undefined) return;
        this.pending.delete(message.id!);
        if (handle instanceof Server) request.resolve(handle);
        else if (message.ok === 1) request.resolve(undefined);
        else request.reject(new Error(message.error ?? 'no answer'));
      },
      onGone: (reason) => {
        if (this.helper !== helper) return;
        this.helper = undefined;
        for (const request of this.pending.values()) request.reject(new Error(`the host helper ${reason}`));
        this.pending.clear();
      },
    });
    this.helper = helper;
    return helper;
  }
}
