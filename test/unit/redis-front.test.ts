/**
 * The Redis front over real sockets, with a backend that answers at once: Redis's replies to
 * malformed requests, its connection limits, and Redis 6 authentication (AUTH, HELLO AUTH); and
 * with backends that answer late, out of order: a connection's commands run in order, one at a
 * time, as Redis runs them.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS_IN_FLIGHT_MAX, OUTPUT_BYTES_MAX, RedisFront, type KvAnswer, type RedisBackend, type RedisFrontOptions } from '../../src/peer/redis.ts';
import { encodeRequest } from '../../src/peer/redis-request.ts';

const PASSWORD = 'open sesame, please';

const backend: RedisBackend = {
  execute: async (op, key) => (op === 'read' && key === 'here' ? { ok: true, value: 'value', replicas: [] } : { ok: false, reason: 'missing', replicas: [] }),
  info: () => [['peer_id', '127.0.0.1:1']],
  readQuorum: 2,
  writeQuorum: 2,
  replicas: 3,
};

const fronts: RedisFront[] = [];
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((front) => front.close()));
});

async function start(options: RedisFrontOptions = {}, using: RedisBackend = backend): Promise<RedisFront> {
  const front = new RedisFront(using, options);
  fronts.push(front);
  await front.listen('127.0.0.1', 0);
  return front;
}

interface Client {
  send(bytes: string | Buffer): void;
  /** Waits until `bytes` replies have arrived (or `waitMs` passed), and returns all replies so far. */
  read(bytes?: number, waitMs?: number): Promise<string>;
  readonly closed: Promise<void>;
  isClosed(): boolean;
  end(): void;
}

async function client(front: RedisFront): Promise<Client> {
  const socket = connect(front.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  return {
    send: (bytes) => socket.write(bytes),
    read: async (bytes = 1, waitMs = 2000) => {
      const deadline = Date.now() + waitMs;
      while (received.length < bytes && !isClosed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      return received;
    },
    closed,
    isClosed: () => isClosed,
    end: () => socket.destroy(),
  };
}

/** Sends `bytes` on a new connection; the replies within `waitMs`, and whether the front closed it. */
async function exchange(front: RedisFront, bytes: string | Buffer, waitMs = 150): Promise<{ reply: string; closed: boolean }> {
  const connection = await client(front);
  connection.send(bytes);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  const reply = await connection.read(0);
  const closed = connection.isClosed();
  connection.end();
  return { reply, closed };
}

describe('the Redis front answers malformed requests as Redis does', () => {
  it('runs `$abc` on a line of its own as an unknown command, and keeps the connection', async () => {
    const front = await start();
    expect(await exchange(front, '$abc\r\n')).toEqual({ reply: "-ERR unknown command '$abc', with args beginning with: \r\n", closed: false });
  });

  it('refuses `$abc` as a bulk length, and closes', async () => {
    const front = await start();
    expect(await exchange(front, '*1\r\n$abc\r\n')).toEqual({ reply: '-ERR Protocol error: invalid bulk length\r\n', closed: true });
  });

  it('refuses bulk data not followed by CRLF (`$4\\r\\nPINGxx`) and closes, where Redis would run PING', async () => {
    const front = await start();
    expect(await exchange(front, '*1\r\n$4\r\nPINGxx\r\n')).toEqual({ reply: '-ERR Protocol error: expected CRLF after bulk data\r\n', closed: true });
  });

  it('answers nothing to `*0` and `*-1`, and then answers PING on the same connection', async () => {
    const front = await start();
    expect(await exchange(front, '*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n')).toEqual({ reply: '+PONG\r\n', closed: false });
    const connection = await client(front);
    connection.send('*0\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await connection.read(0)).toBe('');
    connection.send('PING\r\n');
    expect(await connection.read(7)).toBe('+PONG\r\n');
    expect(connection.isClosed()).toBe(false);
    connection.end();
  });

  it('refuses a nested array (`*1\\r\\n*1\\r\\n`) and other types, after the replies owed', async () => {
    const front = await start();
    expect(await exchange(front, '*1\r\n*1\r\n')).toEqual({ reply: "-ERR Protocol error: expected '$', got '*'\r\n", closed: true });
    expect(await exchange(front, 'PING\r\n*1\r\n:5\r\nPING\r\n')).toEqual({ reply: "+PONG\r\n-ERR Protocol error: expected '$', got ':'\r\n", closed: true });
    expect(front.counters.protocolErrors).toBe(2);
  });

  it('refuses negative and huge lengths and counts', async () => {
    const front = await start();
    for (const request of ['*1\r\n$-1\r\n', '*1\r\n$-5\r\n', '*1\r\n$99999999999\r\n', '*1\r\n$4194305\r\n']) {
      expect(await exchange(front, request), request).toEqual({ reply: '-ERR Protocol error: invalid bulk length\r\n', closed: true });
    }
    for (const request of ['*abc\r\n', '*9999999\r\n', '*99999999999999999999\r\n', '*-99999999999999999999\r\n', '*65537\r\n']) {
      expect(await exchange(front, request), request).toEqual({ reply: '-ERR Protocol error: invalid multibulk length\r\n', closed: true });
    }
  });

  it('splits inline commands like redis-server: quotes and escapes; unbalanced quotes close the connection', async () => {
    const front = await start();
    expect(await exchange(front, 'ECHO "hello world"\r\nECHO \'it\\\'s\'\r\nECHO "\\x41\\tB"\n')).toEqual({ reply: "$11\r\nhello world\r\n$4\r\nit's\r\n$3\r\nA\tB\r\n", closed: false });
    expect(await exchange(front, 'ECHO "hello\r\n')).toEqual({ reply: '-ERR Protocol error: unbalanced quotes in request\r\n', closed: true });
    expect(await exchange(front, `${'x'.repeat(70_000)}`)).toEqual({ reply: '-ERR Protocol error: too big inline request\r\n', closed: true });
  });

  it('answers pipelined requests in order, across chunk boundaries', async () => {
    const front = await start();
    const wire = Buffer.concat([encodeRequest(['ECHO', 'one']), encodeRequest(['GET', 'here']), encodeRequest(['GET', 'gone']), Buffer.from('PING\r\n')]);
    const connection = await client(front);
    for (let index = 0; index < wire.length; index += 3) {
      connection.send(wire.subarray(index, index + 3));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const expected = '$3\r\none\r\n$5\r\nvalue\r\n$-1\r\n+PONG\r\n';
    expect(await connection.read(expected.length)).toBe(expected);
    connection.end();
  });

  it('tells a client past the connection limit `max number of clients reached` and closes it', async () => {
    const front = await start({ clientsMax: 2 });
    const first = await client(front);
    const second = await client(front);
    first.send('PING\r\n');
    second.send('PING\r\n');
    await Promise.all([first.read(7), second.read(7)]);
    const third = await client(front);
    expect(await third.read(37)).toBe('-ERR max number of clients reached\r\n');
    await third.closed;
    first.end();
    await first.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await exchange(front, 'PING\r\n')).reply).toBe('+PONG\r\n');
    second.end();
  });

  it('refuses the connection whose partly received request would go past the shared budget, and gives bytes back when one closes', async () => {
    const front = await start({ pendingRequestBytesMax: 1000 });
    const partial = `*2\r\n$4\r\nECHO\r\n$900\r\n${'x'.repeat(400)}`;
    const first = await client(front);
    const second = await client(front);
    first.send(partial);
    second.send(partial);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(front.pendingRequestBytes).toBe(2 * partial.length);
    expect(await exchange(front, partial)).toEqual({ reply: '-ERR too many bytes of unfinished requests on this server (the limit is 1000 in all); retry later\r\n', closed: true });
    first.end();
    await first.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(front.pendingRequestBytes).toBe(partial.length);
    second.send(`${'x'.repeat(500)}\r\n`);
    expect(await second.read(908)).toBe(`$900\r\n${'x'.repeat(900)}\r\n`);
    expect(front.pendingRequestBytes).toBe(0);
    second.end();
  });
});

describe('the Redis front authenticates as Redis 6 does', () => {
  it('answers NOAUTH to commands before AUTH, but QUIT, AUTH and HELLO, and unknown commands and wrong arities as Redis', async () => {
    const front = await start({ password: PASSWORD });
    expect(front.requiresPassword).toBe(true);
    expect(await exchange(front, 'PING\r\nGET k\r\nINFO\r\n')).toEqual({ reply: '-NOAUTH Authentication required.\r\n'.repeat(3), closed: false });
    expect((await exchange(front, 'FLUSHALL\r\nGET\r\n')).reply).toBe("-ERR unknown command 'flushall', with args beginning with: \r\n-ERR wrong number of arguments for 'get' command\r\n");
    expect(await exchange(front, 'QUIT\r\n')).toEqual({ reply: '+OK\r\n', closed: true });
  });

  it('takes AUTH password and AUTH default password; anything else is WRONGPASS', async () => {
    const front = await start({ password: PASSWORD });
    const wrong = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
    const reply = await exchange(
      front,
      Buffer.concat([
        encodeRequest(['AUTH', 'not it']),
        encodeRequest(['PING']),
        encodeRequest(['AUTH', 'alice', PASSWORD]),
        encodeRequest(['AUTH', 'default', 'not it']),
        encodeRequest(['AUTH', PASSWORD]),
        encodeRequest(['PING']),
        encodeRequest(['AUTH', 'default', 'not it']),
        encodeRequest(['PING']),
      ]),
    );
    // A failed AUTH after a good one leaves the connection authenticated, as in Redis.
    expect(reply).toEqual({ reply: `${wrong}-NOAUTH Authentication required.\r\n${wrong}${wrong}+OK\r\n+PONG\r\n${wrong}+PONG\r\n`, closed: false });
    expect((await exchange(front, encodeRequest(['AUTH', 'default', PASSWORD, 'more']))).reply).toBe('-ERR syntax error\r\n');
    expect((await exchange(front, encodeRequest(['AUTH']))).reply).toBe("-ERR wrong number of arguments for 'auth' command\r\n");
    expect((await exchange(front, Buffer.concat([encodeRequest(['AUTH', 'default', PASSWORD]), encodeRequest(['ECHO', 'in'])]))).reply).toBe('+OK\r\n$2\r\nin\r\n');
  });

  it('authenticates with HELLO 2 AUTH default password, and refuses HELLO before AUTH', async () => {
    const front = await start({ password: PASSWORD });
    expect((await exchange(front, 'HELLO 2\r\n')).reply).toBe(
      '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n',
    );
    expect((await exchange(front, encodeRequest(['HELLO', '2', 'AUTH', 'default', 'not it']))).reply).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect((await exchange(front, encodeRequest(['HELLO', '3', 'AUTH', 'default', PASSWORD]))).reply).toBe('-NOPROTO this server speaks RESP2 only\r\n');
    expect((await exchange(front, encodeRequest(['HELLO', 'two']))).reply).toBe('-ERR Protocol version is not an integer or out of range\r\n');
    expect((await exchange(front, encodeRequest(['HELLO', '2', 'AUTH', 'default']))).reply).toBe("-ERR Syntax error in HELLO option 'AUTH'\r\n");
    const hello = await exchange(front, Buffer.concat([encodeRequest(['HELLO', '2', 'AUTH', 'default', PASSWORD, 'SETNAME', 'me']), encodeRequest(['PING'])]));
    expect(hello.reply).toMatch(/^\*12\r\n\$6\r\nserver\r\n\$8\r\nringside\r\n[^]*\+PONG\r\n$/);
  });

  it("applies Redis's unauthenticated limits (10 elements, 16 KiB strings) until AUTH, and lifts them for the requests behind a good AUTH", async () => {
    const front = await start({ password: PASSWORD });
    expect(await exchange(front, '*11\r\n')).toEqual({ reply: '-ERR Protocol error: unauthenticated multibulk length\r\n', closed: true });
    expect(await exchange(front, '*2\r\n$4\r\nECHO\r\n$16385\r\n')).toEqual({ reply: '-ERR Protocol error: unauthenticated bulk length\r\n', closed: true });
    const big = 'x'.repeat(20_000);
    const reply = await exchange(front, Buffer.concat([encodeRequest(['AUTH', PASSWORD]), encodeRequest(['ECHO', big])]));
    expect(reply).toEqual({ reply: `+OK\r\n$20000\r\n${big}\r\n`, closed: false });
  });

  it('never shows the password in INFO or CONFIG GET', async () => {
    const front = await start({ password: PASSWORD });
    const reply = await exchange(front, Buffer.concat([encodeRequest(['AUTH', PASSWORD]), encodeRequest(['INFO', 'everything']), encodeRequest(['CONFIG', 'GET', 'requirepass'])]));
    expect(reply.reply).toContain('# Server');
    expect(reply.reply).not.toContain(PASSWORD);
    expect(reply.reply.endsWith('*0\r\n')).toBe(true);
  });

  it("without a password: AUTH password is Redis's configuration error, AUTH default anything succeeds, another user is WRONGPASS", async () => {
    const front = await start();
    expect(front.requiresPassword).toBe(false);
    expect((await exchange(front, encodeRequest(['AUTH', 'anything']))).reply).toBe(
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
    );
    expect((await exchange(front, encodeRequest(['AUTH', 'default', 'anything']))).reply).toBe('+OK\r\n');
    expect((await exchange(front, encodeRequest(['AUTH', 'alice', 'anything']))).reply).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect((await exchange(front, '*11\r\n')).closed).toBe(false); // no unauthenticated limits
  });

  it('lets ioredis in with the password, and not with a wrong one', async () => {
    const front = await start({ password: PASSWORD });
    const good = new Redis({ port: front.port, host: '127.0.0.1', password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await good.connect();
    expect(await good.ping()).toBe('PONG');
    expect(await good.get('here')).toBe('value');
    good.disconnect();
    const named = new Redis({ port: front.port, host: '127.0.0.1', username: 'default', password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await named.connect();
    expect(await named.echo('hi')).toBe('hi');
    named.disconnect();
    const bad = new Redis({ port: front.port, host: '127.0.0.1', password: 'wrong', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const errors: string[] = [];
    bad.on('error', (error: Error) => errors.push(error.message));
    await bad.connect().then(
      () => bad.ping(),
      (error: Error) => errors.push(error.message),
    ).catch((error: Error) => errors.push(error.message));
    bad.disconnect();
    expect(errors.some((message) => message.startsWith('WRONGPASS invalid username-password pair'))).toBe(true);
  });
});

/**
 * A store in a map whose operations take `delay(n)` milliseconds (n: the operation's number from
 * 0) and take effect when they complete: operations that overlapped would complete, and apply,
 * out of order. It records each operation as it starts, and how many were in flight at most.
 */
function slowStore(delay: (n: number) => number): RedisBackend & { started: string[]; inFlightMax: () => number; map: Map<string, string> } {
  const map = new Map<string, string>();
  const started: string[] = [];
  let inFlight = 0;
  let inFlightMax = 0;
  return {
    map,
    started,
    inFlightMax: () => inFlightMax,
    execute: async (op, key, value): Promise<KvAnswer> => {
      const n = started.length;
      started.push(value === undefined ? `${op} ${key}` : `${op} ${key} ${value}`);
      inFlight++;
      inFlightMax = Math.max(inFlightMax, inFlight);
      await new Promise((resolve) => setTimeout(resolve, delay(n)));
      inFlight--;
      const present = map.get(key);
      switch (op) {
        case 'read':
          return present === undefined ? { ok: false, reason: 'missing', replicas: [] } : { ok: true, value: present, replicas: [] };
        case 'delete':
          map.delete(key);
          return present === undefined ? { ok: false, reason: 'missing', replicas: [] } : { ok: true, replicas: [] };
        default:
          map.set(key, value ?? '');
          return { ok: true, replicas: [] };
      }
    },
    info: () => [],
    readQuorum: 2,
    writeQuorum: 2,
    replicas: 3,
  };
}

describe("the Redis front runs a connection's commands in order, one at a time", () => {
  it('SET v1; GET; SET v2; GET; DEL; EXISTS in one write, with operations that would complete in reverse order: each starts after the previous one, and the replies read the writes', async () => {
    const store = slowStore((n) => (6 - n) * 15);
    const front = await start({}, store);
    const connection = await client(front);
    connection.send(
      Buffer.concat([
        encodeRequest(['SET', 'k', 'v1']),
        encodeRequest(['PING']),
        encodeRequest(['GET', 'k']),
        encodeRequest(['SET', 'k', 'v2']),
        encodeRequest(['GET', 'k']),
        encodeRequest(['ECHO', 'between']),
        encodeRequest(['DEL', 'k']),
        encodeRequest(['EXISTS', 'k']),
      ]),
    );
    const expected = '+OK\r\n+PONG\r\n$2\r\nv1\r\n+OK\r\n$2\r\nv2\r\n$7\r\nbetween\r\n:1\r\n:0\r\n';
    expect(await connection.read(expected.length, 5000)).toBe(expected);
    expect(store.started).toEqual(['put k v1', 'read k', 'put k v2', 'read k', 'delete k', 'read k']);
    expect(store.inFlightMax()).toBe(1);
    connection.end();
  });

  it('answers commands that need no quorum in sequence with the others, and a QUIT or a protocol error after the operations before it', async () => {
    const store = slowStore(() => 20);
    const front = await start({}, store);
    const quit = await exchange(front, Buffer.concat([encodeRequest(['SET', 'a', '1']), encodeRequest(['ECHO', 'x']), encodeRequest(['GET', 'a']), encodeRequest(['QUIT']), encodeRequest(['GET', 'a'])]), 400);
    expect(quit).toEqual({ reply: '+OK\r\n$1\r\nx\r\n$1\r\n1\r\n+OK\r\n', closed: true });
    const broken = await exchange(front, Buffer.concat([encodeRequest(['DEL', 'a']), encodeRequest(['EXISTS', 'a']), Buffer.from('*1\r\n*1\r\n')]), 400);
    expect(broken).toEqual({ reply: ":1\r\n:0\r\n-ERR Protocol error: expected '$', got '*'\r\n", closed: true });
    expect(store.started).toEqual(['put a 1', 'read a', 'delete a', 'read a']);
  });

  it('connections run in parallel with each other', async () => {
    const store = slowStore(() => 100);
    const front = await start({}, store);
    const connections = await Promise.all(Array.from({ length: 8 }, () => client(front)));
    for (const [index, connection] of connections.entries()) connection.send(encodeRequest(['SET', `k${index}`, 'v']));
    expect(await Promise.all(connections.map((connection) => connection.read(5)))).toEqual(Array.from({ length: 8 }, () => '+OK\r\n'));
    expect(store.inFlightMax()).toBe(8);
    for (const connection of connections) connection.end();
  });

  it('DEL and EXISTS with 1,000 keys: at most 16 operations at once, started in key order; keys not there count 0; DEL k k deletes once, EXISTS k k counts twice', async () => {
    const store = slowStore((n) => n % 3);
    const front = await start({}, store);
    const keys = Array.from({ length: 1000 }, (_, index) => `key${index}`);
    for (const key of keys.filter((_, index) => index % 4 === 0)) store.map.set(key, 'x');
    const connection = await client(front);
    connection.send(Buffer.concat([encodeRequest(['EXISTS', ...keys]), encodeRequest(['DEL', ...keys]), encodeRequest(['EXISTS', ...keys]), encodeRequest(['SET', 'k', 'v']), encodeRequest(['DEL', 'k', 'k']), encodeRequest(['SET', 'k', 'v']), encodeRequest(['EXISTS', 'k', 'k', 'nope'])]));
    const expected = ':250\r\n:250\r\n:0\r\n+OK\r\n:1\r\n+OK\r\n:2\r\n';
    expect(await connection.read(expected.length, 10_000)).toBe(expected);
    expect(store.inFlightMax()).toBe(KEYS_IN_FLIGHT_MAX);
    expect(store.started.slice(0, 3000)).toEqual([...keys.map((key) => `read ${key}`), ...keys.map((key) => `delete ${key}`), ...keys.map((key) => `read ${key}`)]);
    expect(store.started.slice(3000)).toEqual(['put k v', 'delete k', 'put k v', 'read k', 'read k', 'read nope']);
    connection.end();
  });

  it('DEL stops starting operations after one fails (NOQUORUM), and stops when its connection closes', async () => {
    const failing: RedisBackend = {
      ...backend,
      execute: async (_op, key) => {
        calls.push(key);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return key === 'k40' ? { ok: false, reason: 'timeout', replicas: [{ ok: true }] } : { ok: false, reason: 'missing', replicas: [] };
      },
    };
    const calls: string[] = [];
    const front = await start({}, failing);
    const keys = Array.from({ length: 1000 }, (_, index) => `k${index}`);
    const { reply } = await exchange(front, encodeRequest(['DEL', ...keys]), 500);
    expect(reply).toBe("-NOQUORUM delete 'k40': 1 of the 2 replicas needed answered in time; the write may still take effect on the replicas it reached\r\n");
    expect(calls.length).toBeLessThanOrEqual(40 + KEYS_IN_FLIGHT_MAX);
    calls.length = 0;
    const closing = await client(front);
    closing.send(encodeRequest(['DEL', ...keys.map((key) => `other-${key}`)]));
    await new Promise((resolve) => setTimeout(resolve, 30));
    closing.end();
    await closing.closed;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const afterClose = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls.length).toBe(afterClose);
    expect(afterClose).toBeLessThan(500);
  });

  it('stops running requests while the client does not read its replies, and runs the rest once it reads', async () => {
    const value = 'v'.repeat(1_000_000);
    let reads = 0;
    const big: RedisBackend = {
      ...backend,
      execute: async () => {
        reads++;
        return { ok: true, value, replicas: [] };
      },
    };
    const front = await start({}, big);
    const socket = connect(front.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    const count = 100;
    socket.write(Buffer.concat(Array.from({ length: count }, () => encodeRequest(['GET', 'big']))));
    await new Promise((resolve) => setTimeout(resolve, 500));
    // What the front holds (OUTPUT_BYTES_MAX) and what the kernel's socket buffers take.
    expect(reads).toBeGreaterThan(OUTPUT_BYTES_MAX / value.length);
    expect(reads).toBeLessThan(count / 2);
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    const replyBytes = count * (value.length + '$1000000\r\n\r\n'.length);
    for (let waited = 0; received < replyBytes && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toBe(replyBytes);
    expect(reads).toBe(count);
    socket.destroy();
  });

  it('property: any pipeline of SET, GET, DEL and EXISTS on a few keys, split anywhere, with operations of random durations, is answered as a sequential Redis would', async () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const command = fc.oneof(
      fc.tuple(fc.constant('SET'), key, fc.constantFrom('1', '22', 'three')),
      fc.tuple(fc.constant('GET'), key),
      fc.tuple(fc.constant('DEL'), key),
      fc.tuple(fc.constant('DEL'), key, key),
      fc.tuple(fc.constant('EXISTS'), key, key),
      fc.tuple(fc.constant('PING')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 4 }), async (commands, delays, cuts) => {
        const store = slowStore((n) => delays[n % delays.length] as number);
        const front = new RedisFront(store);
        await front.listen('127.0.0.1', 0);
        try {
          // A sequential Redis.
          const model = new Map<string, string>();
          let expected = '';
          for (const [name, ...args] of commands) {
            if (name === 'SET') {
              model.set(args[0] as string, args[1] as string);
              expected += '+OK\r\n';
            } else if (name === 'GET') {
              const value = model.get(args[0] as string);
              expected += value === undefined ? '$-1\r\n' : `$${value.length}\r\n${value}\r\n`;
            } else if (name === 'DEL') expected += `:${[...new Set(args)].filter((one) => model.delete(one)).length}\r\n`;
            else if (name === 'EXISTS') expected += `:${args.filter((one) => model.has(one)).length}\r\n`;
            else expected += '+PONG\r\n';
          }
          const wire = Buffer.concat(commands.map((parts) => encodeRequest(parts)));
          const connection = await client(front);
          let from = 0;
          for (const cut of [...cuts.map((at) => at % wire.length)].sort((x, y) => x - y)) {
            connection.send(wire.subarray(from, Math.max(from, cut)));
            from = Math.max(from, cut);
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
          connection.send(wire.subarray(from));
          expect(await connection.read(expected.length, 10_000)).toBe(expected);
          expect(store.inFlightMax()).toBeLessThanOrEqual(2); // DEL k1 k2 (distinct keys) may run both at once
          connection.end();
        } finally {
          await front.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
