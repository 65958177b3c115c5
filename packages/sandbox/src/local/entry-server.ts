import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { CLOSE_INHERITED_FDS } from './inherited-fds';
import { SEND_MESSAGE, startResidentPerl } from './resident-perl';
import { entryArguments, entrySubroutines, entrySyscalls, type SandboxEntry } from './sandbox-entry';

/** The worker's ends of a command's sockets, in the order the server sends them: its stdout, stderr, fd 4, and its exit status. */
const STREAMS = ['stdout', 'stderr', 'status', 'exit'] as const;

/**
 * The resident entry server: one perl per worker, compiled once, that starts every command of every
 * sandbox by forking itself, so a command costs a fork and bash's exec where a program per command
 * cost Node's spawn plus perl's start-up and compile each time. It reads requests
 * `{"id":N,"entry":"<hex>"}` from its Node.js IPC channel (fd 3), the hex holding, NUL-separated,
 * the script for the command's fd 3 and the arguments of `enter_sandbox` (sandbox-entry.ts). Per
 * request it makes four socket pairs (STREAMS) and forks:
 *
 * - the fork leads a process group of its own (set on both sides of the fork, so the worker can kill
 *   the group as soon as it has the pid), sends its own errors to the command's stderr, enters the
 *   sandbox exactly as the one-shot entry does, forks the command, writes the script into its fd 3
 *   (a pipe), waits for it and writes its raw wait status on the exit socket: the worker learns it
 *   from the fork directly, and a command outlives a server that dies meanwhile;
 * - the server sends the worker's four ends back over the channel as Node's IPC handles (`NODE_HANDLE`
 *   net.Socket messages carrying the request's id and the fork's pid, see resident-perl.ts), or
 *   `{"id":N,"error":"…"}` when it could not fork. It ignores SIGCHLD, so the kernel reaps its forks.
 *
 * The command's stdin is the server's (/dev/null). dup2 puts its ends on fds 1, 2 and 4 and the
 * script's read end on 3 (over the channel, which the command must not keep; every descriptor perl
 * opened is close-on-exec, and the server closes any other it inherited first thing, see
 * inherited-fds.ts): the sources are never below 5, since the worker's end of each pair is made
 * first. The server exits when the worker closes the channel.
 */
function serverProgram(): string {
  const sys = entrySyscalls();
  return `
use POSIX ();
${CLOSE_INHERITED_FDS}
close_inherited_fds(4);
my $sendmsg = ${sys.sendmsg};
${SEND_MESSAGE}
${entrySubroutines(sys)}
open(my $channel, "+<&=", 3) or die "channel: $!\\n";
$SIG{CHLD} = "IGNORE";
sub run_command {
  my ($ends, $script, @args) = @_;
  $SIG{CHLD} = "DEFAULT";
  POSIX::setpgid(0, 0);
  open(STDERR, ">&", $ends->[1]) or die "stderr: $!\\n";
  # The command opens the script's pipe again through /dev/fd/3 (bash's source); host root owns it,
  # so it is made readable by others (only the command's own uid can reach its fds).
  pipe(my $reader, my $writer) or die "pipe: $!\\n";
  chmod(0644, $reader) or die "chmod: $!\\n";
  my @command = enter_sandbox(@args);
  defined(my $child = fork) or die "fork: $!\\n";
  if ($child == 0) {
    POSIX::dup2(fileno $ends->[$_->[0]], $_->[1]) // die "dup2: $!\\n" for [0, 1], [1, 2], [2, 4];
    POSIX::dup2(fileno $reader, 3) // die "dup2: $!\\n";
    exec_as_sandbox_user(@command);
  }
  close $reader;
  close $ends->[$_] for 0, 2;
  $SIG{PIPE} = "IGNORE";
  my $data = $script;
  while (length $data) { my $n = syswrite($writer, $data) or last; substr($data, 0, $n) = ""; }
  close $writer;
  waitpid($child, 0);
  syswrite($ends->[3], "$?\\n");
}
sub start_command {
  my ($id, $hex) = @_;
  my ($script, @args) = split /\\0/, pack("H*", $hex), -1;
  my @ends = map { socketpair(my $ours, my $theirs, 1, 1, 0) or die "socketpair: $!\\n"; [$ours, $theirs] } 1 .. ${STREAMS.length};
  defined(my $pid = fork) or die "fork: $!\\n";
  if ($pid == 0) {
    # The fork (and the command's, until its exec) never returns into the server's loop; a failure
    # to enter is reported as exit 255 with the error on the command's stderr.
    my @theirs = map { $_->[1] } @ends;
    eval { run_command(\\@theirs, $script, @args); 1 } or do { syswrite(STDERR, $@); syswrite($theirs[3], (255 << 8) . "\\n") };
    POSIX::_exit(0);
  }
  POSIX::setpgid($pid, $pid);
  send_message(qq({"cmd":"NODE_HANDLE","type":"net.Socket","msg":{"id":$id,"pid":$pid,"stream":$_}}\\n), fileno $ends[$_][0]) for 0 .. $#ends;
}
my $buffer = "";
while (sysread($channel, $buffer, 1 << 20, length $buffer)) {
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

/**
 * A command the entry server started: what superviseCommand needs of a child process ('exit' with a
 * code or a signal, then 'close' once its stdout and stderr are shut), plus its fd 4.
 */
export class EnteredCommand extends EventEmitter {
  private open = 2;
  private exited = false;
  private exitEmitted = false;

  constructor(
    /** Host pid of the server's fork, the leader of the command's process group. */
    readonly pid: number,
    readonly stdout: Socket,
    readonly stderr: Socket,
    /** The command's fd 4. */
    readonly status: Socket,
    exitSocket: Socket,
  ) {
    super();
    for (const stream of [stdout, stderr]) stream.once('close', () => this.streamClosed());
    // The fork's first line is the command's raw wait status (a failed entry writes 255's first);
    // a fork that closed it without one was killed, by the worker's time-out or the OOM killer.
    let text = '';
    const done = () => {
      exitSocket.destroy();
      const line = /^(\d+)\n/.exec(text);
      this.exit(line === null ? constants.signals.SIGKILL : Number(line[1]));
    };
    exitSocket.setEncoding('utf8');
    exitSocket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) done();
    });
    exitSocket.once('end', () => {
      if (!text.includes('\n')) done();
    });
  }

  /**
   * 'exit' as a ChildProcess emits it, then 'close' if the pipes are shut. Emitted after the event
   * loop's poll phase: what the command wrote on its other sockets before it exited is readable by
   * then (epoll reported it in the same or an earlier round) and has been read, which the exit
   * socket, handled first in that round, would otherwise overtake.
   */
  private exit(waitStatus: number): void {
    if (this.exited) return;
    this.exited = true;
    const signalNumber = waitStatus & 0x7f;
    const signal = signalNumber === 0 ? null : (Object.entries(constants.signals).find(([, number]) => number === signalNumber)?.[0] ?? 'SIGKILL');
    setImmediate(() => {
      this.exitEmitted = true;
      this.emit('exit', signal === null ? (waitStatus >> 8) & 0xff : null, signal);
      if (this.open === 0) this.emit('close');
    });
  }

  private streamClosed(): void {
    this.open--;
    if (this.open === 0 && this.exitEmitted) this.emit('close');
  }
}

interface Request {
  resolve(command: EnteredCommand): void;
  reject(error: Error): void;
  pid?: number;
  streams: Partial<Record<(typeof STREAMS)[number], Socket>>;
}

type ServerMessage = { id?: number; pid?: number; stream?: number; error?: string };

/**
 * Starts commands inside sandboxes through the worker's one resident entry server (see
 * serverProgram), started on first need and again after it died. Commands it started run on
 * without it (they report to the worker themselves); a request it had not answered fails.
 */
export class EntryServer {
  private server?: ChildProcess;
  private readonly requests = new Map<number, Request>();
  private nextId = 1;
  private closed = false;

  /**
   * Enters the sandbox and starts `entry.command` there, `script` on its fd 3 (a pipe, then its end), its
   * stdin /dev/null, its stdout, stderr and fd 4 on the sockets of the returned command.
   */
  async start(entry: SandboxEntry, script: string): Promise<EnteredCommand> {
    if (this.closed) throw new Error('the provider has shut down');
    const server = this.running();
    const id = this.nextId++;
    const payload = Buffer.from([script, ...entryArguments(entry)].join('\0')).toString('hex');
    const command = new Promise<EnteredCommand>((resolve, reject) => this.requests.set(id, { resolve, reject, streams: {} }));
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
      const { stdout, stderr, status, exit } = request.streams;
      if (stdout === undefined || stderr === undefined || status === undefined || exit === undefined || request.pid === undefined) return;
      this.requests.delete(message.id);
      request.resolve(new EnteredCommand(request.pid, stdout, stderr, status, exit));
    }
    if (this.requests.size === 0) this.server?.channel?.unref();
  }
}
