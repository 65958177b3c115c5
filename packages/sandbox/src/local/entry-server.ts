import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { SEND_MESSAGE, startResidentPerl } from './resident-perl';
import { entryArguments, entrySubroutines, entrySyscalls, type SandboxEntry } from './sandbox-entry';

/** The fds a command gets, in the order the server sends the worker's ends of them. */
const STREAMS = ['stdout', 'stderr', 'status'] as const;

/**
 * The resident entry server: one perl per worker, compiled once, that starts every command of every
 * sandbox by forking itself, so a command costs a fork and bash's exec where a program per command
 * cost Node's spawn plus perl's start-up and compile each time. It reads requests
 * `{"id":N,"entry":"<hex>"}` from its Node.js IPC channel (fd 3), the hex holding, NUL-separated,
 * the script for the command's fd 3 and the arguments of `enter_sandbox` (sandbox-entry.ts). Per
 * request it makes three socket pairs (the command's stdout, stderr and fd 4) and forks:
 *
 * - the fork leads a process group of its own (set on both sides of the fork, so the worker can kill
 *   the group as soon as it has the pid), sends its own errors to the command's stderr, enters the
 *   sandbox exactly as the one-shot entry does, forks the command, writes the script into its fd 3
 *   and exits as it did (`exit_as`);
 * - the server sends the worker's three ends back over the channel as Node's IPC handles (`NODE_HANDLE`
 *   net.Socket messages carrying the request's id and the fork's pid, see netns-bridge.ts), and, once
 *   the fork is reaped, `{"id":N,"status":S}` with its raw wait status.
 *
 * SIGCHLD only wakes the loop (a self-pipe); reaping is in the loop, after the handles are sent, so a
 * status never overtakes them. The command's stdin is the server's (/dev/null). Its fds 3 and 4 are
 * made with dup2 over the channel and the self-pipe's read end (which the command must not keep; every
 * other descriptor perl opened is close-on-exec), so those two must be fds 3 and 4: checked at start.
 * The server exits when the worker closes the channel.
 */
function serverProgram(): string {
  const sys = entrySyscalls();
  return `
use POSIX ();
my $sendmsg = ${sys.sendmsg};
${SEND_MESSAGE}
${entrySubroutines(sys)}
open(my $channel, "+<&=", 3) or die "channel: $!\\n";
pipe(my $wake, my $waker) or die "pipe: $!\\n";
fileno($wake) == 4 or die "the self-pipe is fd " . fileno($wake) . ", not 4\\n";
$SIG{CHLD} = sub { syswrite($waker, "x") };
my %commands;
sub run_command {
  my ($ends, $script, @args) = @_;
  $SIG{CHLD} = "DEFAULT";
  POSIX::setpgid(0, 0);
  open(STDERR, ">&", $ends->[1]) or exit 127;
  my @command = enter_sandbox(@args);
  pipe(my $reader, my $writer) or die "pipe: $!\\n";
  defined(my $child = fork) or die "fork: $!\\n";
  if ($child == 0) {
    POSIX::dup2(fileno $ends->[$_->[0]], $_->[1]) // die "dup2: $!\\n" for [0, 1], [1, 2], [2, 4];
    POSIX::dup2(fileno $reader, 3) // die "dup2: $!\\n";
    exec_as_sandbox_user(@command);
  }
  close $reader;
  $SIG{PIPE} = "IGNORE";
  my $data = "$script\\0";
  while (length $data) { my $n = syswrite($writer, $data) or last; substr($data, 0, $n) = ""; }
  close $writer;
  $SIG{PIPE} = "DEFAULT";
  waitpid($child, 0);
  exit_as($?);
}
sub start_command {
  my ($id, $hex) = @_;
  my ($script, @args) = split /\\0/, pack("H*", $hex), -1;
  my @ends = map { socketpair(my $ours, my $theirs, 1, 1, 0) or die "socketpair: $!\\n"; [$ours, $theirs] } 1 .. ${STREAMS.length};
  defined(my $pid = fork) or die "fork: $!\\n";
  if ($pid == 0) {
    # The fork (and the command's, until its exec) must never return into the server's loop.
    eval { run_command([map { $_->[1] } @ends], $script, @args) };
    syswrite(STDERR, $@);
    POSIX::_exit(255);
  }
  POSIX::setpgid($pid, $pid);
  $commands{$pid} = $id;
  send_message(qq({"cmd":"NODE_HANDLE","type":"net.Socket","msg":{"id":$id,"pid":$pid,"stream":$_}}\\n), fileno $ends[$_][0]) for 0 .. $#ends;
}
sub reap {
  while ((my $pid = waitpid(-1, 1)) > 0) {
    my $id = delete $commands{$pid};
    send_message(qq({"id":$id,"status":$?}\\n)) if defined $id;
  }
}
my $buffer = "";
while (1) {
  my $ready = "";
  vec($ready, $_, 1) = 1 for 3, 4;
  if (select($ready, undef, undef, undef) < 0) { next if $!{EINTR}; die "select: $!\\n"; }
  if (vec($ready, 4, 1)) { sysread($wake, my $ignored, 4096); reap(); }
  next unless vec($ready, 3, 1);
  sysread($channel, $buffer, 1 << 20, length $buffer) or exit 0;
  while ($buffer =~ s/^([^\\n]*)\\n//) {
    next unless $1 =~ /^\\{"id":(\\d+),"entry":"([0-9a-f]*)"\\}$/;
    my $id = $1;
    eval { start_command($id, $2); 1 } or do {
      (my $error = $@) =~ s/[^ -~]|["\\\\]/ /g;
      $error =~ s/ +$//;
      send_message(qq({"id":$id,"error":"$error"}\\n));
    };
  }
}
`;
}

/** A command the entry server started: what superviseCommand needs of a child process, plus its fd 4. */
export class EnteredCommand extends EventEmitter {
  private open = 2;
  private exited = false;

  constructor(
    /** Host pid of the server's fork, the leader of the command's process group. */
    readonly pid: number,
    readonly stdout: Socket,
    readonly stderr: Socket,
    /** The command's fd 4. */
    readonly status: Socket,
  ) {
    super();
    for (const stream of [stdout, stderr]) stream.once('close', () => this.streamClosed());
  }

  /**
   * The fork's raw wait status arrived: 'exit' as a ChildProcess emits it, then 'close' once the pipes
   * are shut. Emitted after the event loop's poll phase: what the command wrote on its sockets before
   * it exited is readable by then (epoll reported them in the same or an earlier round) and has been
   * read, which a 'message' handled first in that round would otherwise overtake.
   */
  exit(waitStatus: number): void {
    const signalNumber = waitStatus & 0x7f;
    const signal = signalNumber === 0 ? null : (Object.entries(constants.signals).find(([, number]) => number === signalNumber)?.[0] ?? 'SIGKILL');
    setImmediate(() => {
      this.exited = true;
      this.emit('exit', signal === null ? (waitStatus >> 8) & 0xff : null, signal);
      if (this.open === 0) this.emit('close');
    });
  }

  /** The server died before reporting the status: no result can be known; the command's group is killed. */
  lost(error: Error): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    for (const stream of [this.stdout, this.stderr, this.status]) stream.destroy();
    // Its supervisor listens from the moment it has the command; an 'error' nobody hears would throw.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private streamClosed(): void {
    this.open--;
    if (this.open === 0 && this.exited) this.emit('close');
  }
}

interface Request {
  id: number;
  resolve(command: EnteredCommand): void;
  reject(error: Error): void;
  pid?: number;
  streams: Partial<Record<(typeof STREAMS)[number], Socket>>;
}

type ServerMessage = { id?: number; pid?: number; stream?: number; status?: number; error?: string };

/**
 * Starts commands inside sandboxes through the worker's one resident entry server (see
 * serverProgram), started on first need and again after it died. A command the dead server had
 * started fails (its group killed) with an error; the next one gets a new server.
 */
export class EntryServer {
  private server?: ChildProcess;
  private readonly requests = new Map<number, Request>();
  private readonly started = new Map<number, EnteredCommand>();
  private nextId = 1;
  private closed = false;

  /** Host pid of the running server, if one runs. */
  get pid(): number | undefined {
    return this.server?.pid;
  }

  /**
   * Enters the sandbox and starts `entry.command` there, `script` on its fd 3 (ended by a NUL), its
   * stdin /dev/null, its stdout, stderr and fd 4 on the sockets of the returned command.
   */
  async start(entry: SandboxEntry, script: string): Promise<EnteredCommand> {
    if (this.closed) throw new Error('the provider has shut down');
    const server = this.running();
    const id = this.nextId++;
    const payload = Buffer.from([script, ...entryArguments(entry)].join('\0')).toString('hex');
    const command = new Promise<EnteredCommand>((resolve, reject) => this.requests.set(id, { id, resolve, reject, streams: {} }));
    server.channel?.ref();
    server.send({ id, entry: payload });
    return command;
  }

  close(): void {
    this.closed = true;
    this.server?.kill('SIGKILL');
  }

  private running(): ChildProcess {
    if (this.server !== undefined) return this.server;
    // The commands' stdin is the server's, /dev/null.
    const server = startResidentPerl<ServerMessage>({
      program: serverProgram(),
      onMessage: (message, handle) => this.received(message, handle),
      onGone: (reason) => {
        if (this.server !== server) return;
        this.server = undefined;
        const error = new Error(`the sandbox entry server ${reason}`);
        for (const request of this.requests.values()) {
          for (const stream of Object.values(request.streams)) stream.destroy();
          request.reject(error);
        }
        this.requests.clear();
        for (const command of this.started.values()) command.lost(error);
        this.started.clear();
      },
    });
    this.server = server;
    return server;
  }

  private received(message: ServerMessage, handle: unknown): void {
    if (message.id === undefined) return;
    const request = this.requests.get(message.id);
    if (request !== undefined && message.error !== undefined) {
      this.requests.delete(message.id);
      request.reject(new Error(`the sandbox entry server could not start the command: ${message.error}`));
    } else if (request !== undefined && handle instanceof Socket && message.stream !== undefined) {
      request.pid = message.pid;
      request.streams[STREAMS[message.stream]!] = handle;
      const { stdout, stderr, status } = request.streams;
      if (stdout === undefined || stderr === undefined || status === undefined || request.pid === undefined) return;
      this.requests.delete(message.id);
      const command = new EnteredCommand(request.pid, stdout, stderr, status);
      this.started.set(message.id, command);
      request.resolve(command);
    } else if (message.status !== undefined) {
      const command = this.started.get(message.id);
      this.started.delete(message.id);
      command?.exit(message.status);
    }
    if (this.requests.size === 0 && this.started.size === 0) this.server?.channel?.unref();
  }
}
