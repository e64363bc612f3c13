/**
 * A Redis-protocol front: `redis-cli`, `redis-benchmark` and every Redis client library can
 * drive a Ringside cluster. Each command is a quorum operation coordinated by this peer:
 *
 *   SET k v [NX|XX]   put (NX: create, XX: update); +OK, or a nil reply when NX/XX refuse
 *   GET k             read; the value or nil
 *   DEL k [k …]       delete each (once); how many existed
 *   EXISTS k [k …]    read each; how many exist (a key named twice counts twice)
 *   PING [msg], ECHO msg, INFO [section], SELECT 0, QUIT, and the handshake commands clients
 *   send on connecting (CLIENT, HELLO 2, COMMAND, CONFIG GET), answered as Redis would.
 *   AUTH [default] password, HELLO 2 AUTH default password: Redis 6's `default` user. With a
 *   password set, every other command gets `-NOAUTH` until one of them succeeds.
 *
 * Anything else gets Redis's own `-ERR unknown command` reply; a quorum that cannot be reached
 * gets `-NOQUORUM …`. Requests are parsed as redis-server parses them (`redis-request.ts`:
 * multibulk, and inline commands such as `PING` typed into telnet), with bounds on what one
 * connection, and all of them together, may make this process hold.
 *
 * One connection's commands run as Redis runs them: strictly in order, one at a time. The next
 * request is parsed only once the previous command has its reply, so a pipelined `SET k v1; GET
 * k; DEL k; EXISTS k` reads its own writes, and a connection has at most one quorum operation in
 * flight (DEL and EXISTS with many keys: at most `KEYS_IN_FLIGHT_MAX` of their per-key
 * operations). Commands that need no quorum (PING, ECHO, INFO, …) are answered at once, in
 * sequence, and their replies written together. What one connection may make this process hold:
 *
 *   - bytes received and not parsed yet: about one socket read (64 KiB; Node's stream buffer
 *     adds at most its high-water mark). The socket is paused while the parser holds any, and
 *     resumed once they are all taken;
 *   - the request in progress: at most 4 MiB, counted in the shared `PENDING_REQUEST_BYTES_MAX`;
 *   - parsed requests not executed: none but the one executing (parsing is lazy);
 *   - replies the client has not read: reading stops past `OUTPUT_BYTES_MAX`, and resumes once
 *     the client has read them (one reply may go past it: a 1 MiB value);
 *   - one operation in flight, whose value is at most 1 MiB.
 *
 * The cost: pipelining on one connection no longer overlaps quorum operations, so a pipeline of
 * n commands takes n round trips of the quorum instead of about one (it still saves the client's
 * round trips, and batches the replies of commands that need no quorum). Many connections still
 * run in parallel, as with Redis. `redis-benchmark -t set,get` against a 3-peer cluster on a
 * busy 2-core machine, requests per second, before → after:
 *
 *   -c 64            SET ~1,400 → ~1,300   GET ~3,700 → ~4,700   (unaffected, within noise)
 *   -c 64 -P 16      SET ~2,500 → ~2,000   GET ~4,500 → ~5,100   (p50 SET 300-440 ms → 26-36 ms)
 *   -c 1 -P 16       SET ~1,070 → ~320     GET ~4,750 → ~2,000   (about what -c 1 gives)
 *   -c 1             SET ~190 → ~200       GET ~2,100 → ~2,100
 *
 * A client wanting more from one process opens more connections (as Redis clients' pools do).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { RedisCounters } from '../shared/protocol/control.ts';
import { keySchema, type KvFailure, type KvOperation } from '../shared/protocol/kv.ts';
import { passwordMatches } from './redis-auth.ts';
import { RequestBudget, RespRequestParser } from './redis-request.ts';
import { listenError } from './transport.ts';

export interface KvAnswer {
  readonly ok: boolean;
  readonly value?: string | undefined;
  readonly binary?: true | undefined;
  readonly reason?: KvFailure | undefined;
  readonly replicas: readonly { readonly ok?: boolean | undefined }[];
}

export interface RedisBackend {
  execute(op: KvOperation, key: string, value?: string, binary?: true): Promise<KvAnswer>;
  /** `INFO`'s Ringside section: `field:value` lines. */
  info(): readonly (readonly [string, string | number])[];
  readonly writeQuorum: number;
  readonly readQuorum: number;
  /** N: a ring places keys once it has this many peers. */
  readonly replicas: number;
}

/**
 * Client connections at once (Redis's `maxclients`, 10,000 there): each may hold a request of
 * up to 4 MiB in progress, 4 MiB of unread replies and one operation (a 1 MiB value), so fewer,
 * for a peer that is one of several processes on a laptop. More are told `-ERR max number of
 * clients reached` and closed.
 */
export const CLIENTS_MAX = 1000;
/**
 * Bytes of partly received requests all connections together may hold: sixteen 4 MiB requests
 * arriving at once, or sixty-four 1 MiB values. The connection whose bytes would go past it gets
 * an error and is closed, so slow or hostile clients cannot add up to gigabytes.
 */
export const PENDING_REQUEST_BYTES_MAX = 64 * 1_048_576;
/**
 * Reply bytes a client has not read yet before its requests are no longer read (and resumed once
 * it has read them): four 1 MiB values, plenty to keep a pipeline of large values busy.
 */
export const OUTPUT_BYTES_MAX = 4 * 1_048_576;
/**
 * Per-key operations of one DEL or EXISTS in flight at once, started in key order: a command
 * naming 60,000 keys runs through them 16 at a time instead of flooding the quorum with all.
 */
export const KEYS_IN_FLIGHT_MAX = 16;

const OK = Buffer.from('+OK\r\n');
const NIL = Buffer.from('$-1\r\n');
const PONG = Buffer.from('+PONG\r\n');
const EMPTY_ARRAY = Buffer.from('*0\r\n');
const DEFAULT_USER = Buffer.from('default');
const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
const NOAUTH = Buffer.from('-NOAUTH Authentication required.\r\n');
const MAX_CLIENTS_REACHED = Buffer.from('-ERR max number of clients reached\r\n');

/**
 * The commands here and Redis's arity for each (n: exactly n parts with the name; -n: at least
 * n), checked before authentication, as Redis does; each command narrows it further.
 */
const ARITY: Readonly<Record<string, number>> = {
  auth: -2,
  client: -2,
  command: -1,
  config: -2,
  del: -2,
  echo: 2,
  exists: -2,
  get: 2,
  hello: -1,
  info: -1,
  ping: -1,
  quit: -1,
  select: 2,
  set: -3,
};
/** What a client may send before it authenticates (Redis's CMD_NO_AUTH). */
const NO_AUTH = new Set(['auth', 'hello', 'quit']);

export interface RedisFrontOptions {
  /** The `default` user's password; undefined: none (clients need not authenticate). */
  readonly password?: string | undefined;
  readonly clientsMax?: number;
  readonly pendingRequestBytesMax?: number;
}

/** One connection's state that commands change, and whether it has closed. */
interface Session {
  authenticated: boolean;
  closed: boolean;
}

export class RedisFront {
  readonly counters: RedisCounters = { connections: 0, commands: 0, errors: 0, protocolErrors: 0 };
  readonly #server: Server;
  readonly #backend: RedisBackend;
  readonly #sockets = new Set<Socket>();
  readonly #password: string | undefined;
  readonly #clientsMax: number;
  readonly #budget: RequestBudget;
  port = 0;

  constructor(backend: RedisBackend, options: RedisFrontOptions = {}) {
    this.#backend = backend;
    this.#password = options.password;
    this.#clientsMax = options.clientsMax ?? CLIENTS_MAX;
    this.#budget = new RequestBudget(options.pendingRequestBytesMax ?? PENDING_REQUEST_BYTES_MAX);
    this.#server = createServer({ noDelay: true }, (socket) => this.#connection(socket));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`Redis front: ${listenError(error, host, port, '--redis-port PORT')}`)));
      this.#server.listen(port, host, () => {
        const address = this.#server.address();
        this.port = typeof address === 'object' && address !== null ? address.port : port;
        this.#server.on('error', () => undefined);
        resolve(this.port);
      });
    });
  }

  /** Whether clients must authenticate (never the password itself). */
  get requiresPassword(): boolean {
    return this.#password !== undefined;
  }

  /** Bytes of partly received requests held now, all connections together. */
  get pendingRequestBytes(): number {
    return this.#budget.bytesHeld;
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #connection(socket: Socket): void {
    if (this.#sockets.size >= this.#clientsMax) {
      socket.on('error', () => undefined);
      socket.end(MAX_CLIENTS_REACHED, () => socket.destroy());
      return;
    }
    this.counters.connections++;
    this.#sockets.add(socket);
    const session: Session = { authenticated: this.#password === undefined, closed: false };
    const parser = new RespRequestParser({ budget: this.#budget, authenticated: session.authenticated });
    socket.on('close', () => {
      session.closed = true;
      this.#sockets.delete(socket);
      parser.close();
    });
    socket.on('error', () => undefined);
    /** Replies not written yet (written together when the connection waits). */
    let out: Buffer[] = [];
    let outBytes = 0;
    /** The parser holds bytes pushed and not parsed yet: nothing more is read meanwhile. */
    let unparsed = false;
    /** A command's quorum operation is in flight: the requests behind it wait. */
    let busy = false;
    let waitingForDrain = false;
    /** QUIT or a protocol error: nothing more is read or run; the replies owed, then the end. */
    let ending = false;
    let ended = false;

    const reply = (data: Buffer): void => {
      out.push(data);
      outBytes += data.length;
    };
    const write = (): void => {
      if (out.length === 0) return;
      const data = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, outBytes);
      out = [];
      outBytes = 0;
      if (!socket.destroyed) socket.write(data);
    };
    /** Runs the requests received, in order, until one waits for its quorum or for more bytes. */
    const run = (): void => {
      while (!busy && !session.closed && !waitingForDrain) {
        if (ending) {
          write();
          if (!ended) socket.end();
          ended = true;
          break;
        }
        if (outBytes > OUTPUT_BYTES_MAX) write();
        if (socket.writableLength > OUTPUT_BYTES_MAX) {
          // The client reads its replies slower than it sends requests: wait until it has.
          waitingForDrain = true;
          socket.once('drain', () => {
            waitingForDrain = false;
            run();
          });
          break;
        }
        const request = unparsed ? parser.next() : undefined;
        if (request === undefined) {
          unparsed = false;
          if (parser.error !== undefined) {
            // As Redis: the replies owed, this error, then the connection closes.
            this.counters.protocolErrors++;
            reply(errorReply(parser.error, 'latin1'));
            ending = true;
            continue;
          }
          break;
        }
        const command = this.#command(request, session);
        // An AUTH lifts the parser's unauthenticated limits for the requests behind it.
        parser.authenticated = session.authenticated;
        if (command === 'quit') {
          reply(OK);
          ending = true;
          parser.close();
        } else if (command instanceof Promise) {
          busy = true;
          command
            .then(reply, (error: Error) => reply(errorReply(`ERR ${error.message}`)))
            .finally(() => {
              busy = false;
              run();
            });
        } else reply(command);
      }
      // The replies so far go now, those before an operation in flight too.
      write();
      // Read on only while the parser has taken every byte and the client reads its replies.
      if (session.closed || ended) return;
      if (unparsed || waitingForDrain || ending) socket.pause();
      else if (socket.isPaused()) socket.resume();
    };

    socket.on('data', (chunk: Buffer) => {
      if (ending || session.closed) return;
      parser.push(chunk);
      unparsed = true;
      run();
    });
  }

  /** One command: its reply now, later (a quorum operation), or 'quit'. */
  #command(parts: Buffer[], session: Session): Buffer | Promise<Buffer> | 'quit' {
    this.counters.commands++;
    const name = (parts[0] as Buffer).toString('latin1').toLowerCase();
    const args = parts.slice(1);
    // Redis's order: an unknown command, then a wrong arity, then authentication.
    const redisArity = ARITY[name];
    if (redisArity === undefined) {
      const preview = args
        .slice(0, 3)
        .map((arg) => `'${arg.toString('latin1').slice(0, 64)}' `)
        .join('');
      return this.#error(`ERR unknown command '${name.slice(0, 64)}', with args beginning with: ${preview}`);
    }
    if (redisArity > 0 ? parts.length !== redisArity : parts.length < -redisArity) return this.#error(`ERR wrong number of arguments for '${name}' command`);
    if (!session.authenticated && !NO_AUTH.has(name)) {
      this.counters.errors++;
      return NOAUTH;
    }
    const arity = (min: number, max = min): Buffer | undefined => {
      if (args.length >= min && args.length <= max) return undefined;
      this.counters.errors++;
      return errorReply(`ERR wrong number of arguments for '${name}' command`);
    };
    switch (name) {
      case 'ping':
        return arity(0, 1) ?? (args.length === 0 ? PONG : bulk(args[0] as Buffer));
      case 'echo':
        return arity(1) ?? bulk(args[0] as Buffer);
      case 'quit':
        return 'quit';
      case 'get':
        return arity(1) ?? this.#get(args[0] as Buffer);
      case 'set':
        return arity(2, 3) ?? this.#set(args);
      case 'del':
        return arity(1, Infinity) ?? this.#count(args, 'delete', session);
      case 'exists':
        return arity(1, Infinity) ?? this.#count(args, 'read', session);
      case 'info':
        return arity(0, 1) ?? bulk(Buffer.from(this.#info(args[0]?.toString('latin1').toLowerCase())));
      case 'select':
        return arity(1) ?? (args[0]?.toString() === '0' ? OK : this.#error('ERR DB index is out of range'));
      case 'auth':
        return this.#auth(args, session);
      case 'hello':
        return this.#hello(args, session);
      case 'client':
        // CLIENT SETNAME / SETINFO and friends, sent by client libraries on connecting.
        return args[0]?.toString().toLowerCase() === 'id' ? integer(this.counters.connections) : OK;
      case 'command':
        return args[0]?.toString().toLowerCase() === 'count' ? integer(0) : EMPTY_ARRAY;
      case 'config': {
        // redis-benchmark asks CONFIG GET save and appendonly: nothing is saved to disk here.
        const parameter = args[1]?.toString('latin1').toLowerCase();
        if (args[0]?.toString('latin1').toLowerCase() !== 'get' || parameter === undefined) return this.#error('ERR CONFIG: only CONFIG GET is supported');
        if (parameter === 'save') return array(['save', '']);
        if (parameter === 'appendonly') return array(['appendonly', 'no']);
        return EMPTY_ARRAY;
      }
      default:
        return this.#error(`ERR unknown command '${name.slice(0, 64)}'`);
    }
  }

  /** AUTH password, or AUTH username password (Redis 6): only the user `default` exists. */
  #auth(args: Buffer[], session: Session): Buffer {
    if (args.length > 2) return this.#error('ERR syntax error');
    if (args.length === 1 && this.#password === undefined) {
      return this.#error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    }
    const [user, password] = args.length === 1 ? [DEFAULT_USER, args[0] as Buffer] : [args[0] as Buffer, args[1] as Buffer];
    if (!this.#authenticate(user, password)) return this.#error(WRONGPASS);
    session.authenticated = true;
    return OK;
  }

  /** HELLO [2 [AUTH username password] [SETNAME name]]: RESP2 only. */
  #hello(args: Buffer[], session: Session): Buffer {
    const version = args[0]?.toString('latin1');
    if (version !== undefined) {
      if (!/^(?:0|-?[1-9]\d{0,18})$/.test(version)) return this.#error('ERR Protocol version is not an integer or out of range');
      if (version !== '2' && version !== '3') return this.#error('NOPROTO unsupported protocol version');
      // Refused before AUTH is tried: an error reply changes nothing.
      if (version === '3') return this.#error('NOPROTO this server speaks RESP2 only');
    }
    let credentials: [Buffer, Buffer] | undefined;
    for (let index = 1; index < args.length; index++) {
      const option = (args[index] as Buffer).toString('latin1');
      const more = args.length - 1 - index;
      if (option.toLowerCase() === 'auth' && more >= 2) {
        credentials = [args[index + 1] as Buffer, args[index + 2] as Buffer];
        index += 2;
      } else if (option.toLowerCase() === 'setname' && more >= 1) index++;
      else return this.#error(`ERR Syntax error in HELLO option '${option.slice(0, 64)}'`);
    }
    if (credentials !== undefined) {
      if (!this.#authenticate(...credentials)) return this.#error(WRONGPASS);
      session.authenticated = true;
    }
    if (!session.authenticated) {
      return this.#error(
        'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
      );
    }
    return array(['server', 'ringside', 'version', '7.0.0', 'proto', 2, 'mode', 'cluster', 'role', 'master', 'modules', []]);
  }

  /** Redis's `default` user: any password when none is set (`nopass`), else the one set. */
  #authenticate(user: Buffer, password: Buffer): boolean {
    const passwordOk = this.#password === undefined || passwordMatches(this.#password, password);
    return user.equals(DEFAULT_USER) && passwordOk;
  }

  #error(text: string): Buffer {
    this.counters.errors++;
    return errorReply(text);
  }

  #key(raw: Buffer): string | Buffer {
    const key = raw.toString('utf8');
    if (!Buffer.from(key, 'utf8').equals(raw) || !keySchema.safeParse(key).success) {
      return this.#error('ERR invalid key: a key is 1-1024 characters of UTF-8 text without control characters');
    }
    return key;
  }

  async #get(rawKey: Buffer): Promise<Buffer> {
    const key = this.#key(rawKey);
    if (typeof key !== 'string') return key;
    const answer = await this.#backend.execute('read', key);
    if (answer.ok) return bulk(Buffer.from(answer.value ?? '', answer.binary ? 'base64' : 'utf8'));
    if (answer.reason === 'missing') return NIL;
    return this.#failure('read', key, answer);
  }

  async #set(args: Buffer[]): Promise<Buffer> {
    const key = this.#key(args[0] as Buffer);
    if (typeof key !== 'string') return key;
    const option = args[2]?.toString('latin1').toLowerCase();
    if (option !== undefined && option !== 'nx' && option !== 'xx') {
      return this.#error(`ERR syntax error: SET takes NX or XX here; expiry (${option.toUpperCase()}) is not supported`);
    }
    const op: KvOperation = option === 'nx' ? 'create' : option === 'xx' ? 'update' : 'put';
    const raw = args[1] as Buffer;
    const text = raw.toString('utf8');
    const isText = Buffer.byteLength(text, 'utf8') === raw.length && Buffer.from(text, 'utf8').equals(raw);
    const answer = isText ? await this.#backend.execute(op, key, text) : await this.#backend.execute(op, key, raw.toString('base64'), true);
    if (answer.ok) return OK;
    if ((op === 'create' && answer.reason === 'exists') || (op === 'update' && answer.reason === 'missing')) return NIL;
    return this.#failure(op, key, answer);
  }

  /**
   * DEL and EXISTS: one operation per key, counted; a key that is not there (the quorum said so)
   * counts 0. At most `KEYS_IN_FLIGHT_MAX` at once, started in key order; after a failure, or
   * once the connection has closed, no more are started, and the first failing key's error is
   * the reply (the keys before it may have been deleted, as with any failed multi-key write).
   */
  async #count(rawKeys: Buffer[], op: 'delete' | 'read', session: Session): Promise<Buffer> {
    const named: string[] = [];
    for (const raw of rawKeys) {
      const key = this.#key(raw);
      if (typeof key !== 'string') return key;
      named.push(key);
    }
    // As Redis: `DEL k k` deletes k once (1); `EXISTS k k` counts it twice (2). Two deletes of
    // one key at once could both find it there.
    const keys = op === 'delete' ? [...new Set(named)] : named;
    let count = 0;
    let started = 0;
    let stop = false;
    let failed: { index: number; answer: KvAnswer } | undefined;
    const worker = async (): Promise<void> => {
      while (started < keys.length && !stop && !session.closed) {
        const index = started++;
        let answer: KvAnswer;
        try {
          answer = await this.#backend.execute(op, keys[index] as string);
        } catch (error) {
          stop = true;
          throw error;
        }
        if (answer.ok) count++;
        else if (answer.reason !== 'missing') {
          stop = true;
          if (failed === undefined || index < failed.index) failed = { index, answer };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(KEYS_IN_FLIGHT_MAX, keys.length) }, worker));
    if (failed !== undefined) return this.#failure(op, keys[failed.index] as string, failed.answer);
    return integer(count);
  }

  #failure(op: KvOperation, key: string, answer: KvAnswer): Buffer {
    const reason = answer.reason ?? 'unknown';
    const needed = op === 'read' ? this.#backend.readQuorum : this.#backend.writeQuorum;
    const answered = answer.replicas.filter((replica) => replica.ok === true).length;
    switch (reason) {
      case 'no-quorum':
        // Nothing was sent: too few of the key's owners are reachable.
        return this.#error(`NOQUORUM ${op} '${key.slice(0, 64)}': fewer than the ${needed} replicas needed are reachable; nothing was ${op === 'read' ? 'read' : 'written'}`);
      case 'timeout':
        return this.#error(
          `NOQUORUM ${op} '${key.slice(0, 64)}': ${answered} of the ${needed} replicas needed answered in time${op === 'read' ? '' : '; the write may still take effect on the replicas it reached'}`,
        );
      case 'no-ring':
        return this.#error(`CLUSTERDOWN no ring here: this peer has not heard the ring yet, fewer than the ${needed} owners a quorum needs own keys, or it is leaving`);
      case 'too-large':
        return this.#error('ERR value too large: the limit is 1 MiB');
      case 'overloaded':
        return this.#error('BUSY too many operations in flight at this peer; retry');
      case 'stale':
        return this.#error(`TRYAGAIN ${op} '${key.slice(0, 64)}': newer writes of this key kept winning; retry`);
      case 'ring-changed':
        return this.#error(`TRYAGAIN ${op} '${key.slice(0, 64)}': the ring is changing (a peer joins or leaves); retry`);
      default:
        return this.#error(`ERR ${op} failed: ${reason}`);
    }
  }

  #info(section: string | undefined): string {
    const sections: string[] = [];
    const want = (name: string): boolean => section === undefined || section === 'all' || section === 'everything' || section === 'default' || section === name;
    if (want('server')) sections.push(`# Server\r\nredis_version:7.0.0\r\nringside_version:1\r\nredis_mode:cluster\r\nprocess_id:${process.pid}\r\ntcp_port:${this.port}\r\n`);
    if (want('clients')) sections.push(`# Clients\r\nconnected_clients:${this.#sockets.size}\r\nmaxclients:${this.#clientsMax}\r\n`);
    if (want('stats')) {
      sections.push(`# Stats\r\ntotal_connections_received:${this.counters.connections}\r\ntotal_commands_processed:${this.counters.commands}\r\ntotal_error_replies:${this.counters.errors}\r\nprotocol_errors:${this.counters.protocolErrors}\r\n`);
    }
    if (want('ringside')) sections.push(`# Ringside\r\n${this.#backend.info().map(([field, value]) => `${field}:${value}\r\n`).join('')}`);
    return sections.join('\r\n');
  }
}

function bulk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n')]);
}

function integer(value: number): Buffer {
  return Buffer.from(`:${value}\r\n`);
}

/** `latin1`: the text holds a client's bytes one for one (as Redis echoes them). */
function errorReply(text: string, encoding: BufferEncoding = 'utf8'): Buffer {
  return Buffer.from(`-${text.replace(/[\r\n]+/g, ' ')}\r\n`, encoding);
}

type Resp = string | number | readonly Resp[];

function array(items: readonly Resp[]): Buffer {
  const encode = (item: Resp): Buffer =>
    typeof item === 'number' ? integer(item) : typeof item === 'string' ? bulk(Buffer.from(item)) : array(item);
  return Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items.map(encode)]);
}
