import { describe, expect, it } from 'vitest';
import { detectionTicksMax, DHT_DEFAULTS, ticksFromSeconds } from '../../src/shared/dht/config.ts';
import { DhtPeer } from '../../src/shared/dht/peer.ts';
import { journalEventSchema } from '../../src/shared/journal/events.ts';
import { describeEvent } from '../../src/shared/journal/session.ts';
import { DhtCluster } from '../../src/shared/sim/dht-cluster.ts';
import { dhtCluster, REFERENCE_RING, wrongSuccessors } from '../support/dht-ring.ts';

const SIXTY_SECONDS_TICKS = ticksFromSeconds(60);

describe('a DHT peer', () => {
  it('declares a killed successor gone within 60 s at the default interval, whenever in the interval it dies', () => {
    const bound = detectionTicksMax(DHT_DEFAULTS);
    expect(bound).toBeLessThanOrEqual(SIXTY_SECONDS_TICKS);
    // Kill peer 14 at every 25th tick of a ping interval: both predecessors (9 and 8) notice,
    // within the bound, and nobody else does.
    for (let offset = 0; offset < DHT_DEFAULTS.pingIntervalTicks; offset += 25) {
      const { cluster, said, init } = dhtCluster();
      init(REFERENCE_RING, 30);
      const killTick = 600 + offset;
      cluster.runUntil(killTick);
      cluster.kill(14);
      cluster.runUntil(killTick + SIXTY_SECONDS_TICKS + 10);
      const noticed = said.filter((event) => event.text === 'Peer 14 is no longer alive');
      expect(noticed.map((event) => DhtCluster.identityOf(event.peer)).sort((a, b) => (a ?? 0) - (b ?? 0)), `killed at ${killTick}`).toEqual([8, 9]);
      for (const event of noticed) expect(event.tick - killTick, `killed at ${killTick}`).toBeLessThanOrEqual(bound);
      expect(wrongSuccessors(cluster)).toEqual([]);
    }
  });

  it('never declares a live peer gone: ten minutes of the reference ring', () => {
    const { cluster, said, init } = dhtCluster();
    init(REFERENCE_RING, 30);
    cluster.runUntil(ticksFromSeconds(600));
    expect(said.filter((event) => event.text.endsWith('is no longer alive'))).toEqual([]);
    // A round every 30 s from the start: ticks 0, 300, …, 5700.
    expect(said.filter((event) => event.text.startsWith('Ping requests sent'))).toHaveLength(20 * REFERENCE_RING.length);
  });

  it('refuses a name that is not four digits with one clear line and sends nothing', () => {
    const peer = new DhtPeer({ identity: 2 });
    peer.step({ kind: 'command', command: { type: 'dht.init', first: 4, second: 5 } }, 0);
    for (const file of ['a912', '32134', '']) {
      const outputs = peer.step({ kind: 'command', command: { type: 'dht.store', file } }, 1);
      expect(outputs.filter((output) => output.kind === 'send')).toEqual([]);
      expect(outputs).toHaveLength(1);
      expect(outputs[0]).toMatchObject({ kind: 'event', event: { kind: 'console', text: expect.stringContaining('is not a valid file name') } });
    }
  });

  it('says what it accepts when a typed line is none of Store, Request or Quit', () => {
    const { cluster, said, init } = dhtCluster();
    init([2, 4, 5]);
    cluster.type(2, 'Fetch 4103');
    expect(said.at(-1)?.text).toBe('Unknown command "Fetch 4103": type Store NNNN, Request NNNN or Quit');
  });

  it('accepts a Store whose file it owns itself, without forwarding it', () => {
    const { cluster, said, init } = dhtCluster();
    init(REFERENCE_RING, 30);
    cluster.runUntil(5); // the first pings have told peer 2 its predecessor, 19
    cluster.store(2, '0000');
    expect(said.at(-1)).toMatchObject({ text: 'Store 0000 request accepted', lookup: { route: [2], hops: 0 } });
    expect(cluster.machine(2)?.files()).toEqual(['0000']);
  });

  it('refuses bytes that are no DHT message, and messages from an address that is no DHT peer', () => {
    const peer = new DhtPeer({ identity: 2 });
    peer.step({ kind: 'command', command: { type: 'dht.init', first: 4, second: 5 } }, 0);
    const from = DhtCluster.address(4);
    const garbage = ['not json', '{"type":"dht.ping-request","rank":3,"sequence":1}', '{"type":"swim.ping"}', '{"type":"dht.store","file":"a912","owner":true,"route":[4]}'];
    for (const data of garbage) {
      const outputs = peer.step({ kind: 'receive-bytes', from, data }, 1);
      expect(outputs.map((output) => output.kind === 'event' && output.event.kind), data).toEqual(['message.rejected']);
    }
    const stranger = peer.step({ kind: 'receive', from: '10.0.0.1:9', message: { type: 'dht.ping-request', rank: 1, sequence: 1 } }, 1);
    expect(stranger).toMatchObject([{ kind: 'event', event: { kind: 'message.rejected', reason: 'not-a-member' } }]);
    expect(peer.counters.messagesRejected).toBe(5);
    // A well-formed ping still gets its answer.
    const ping = peer.step({ kind: 'receive-bytes', from, data: '{"type":"dht.ping-request","rank":2,"sequence":7}' }, 2);
    expect(ping.filter((output) => output.kind === 'send')).toEqual([{ kind: 'send', to: from, message: { type: 'dht.ping-response', sequence: 7 } }]);
  });

  it('hands its files to its first successor when it quits', () => {
    const { cluster, init } = dhtCluster();
    init(REFERENCE_RING, 30);
    cluster.store(8, '2067');
    cluster.runUntil(10);
    expect(cluster.machine(19)?.files()).toEqual(['2067']);
    cluster.quit(19);
    cluster.runUntil(15);
    expect(cluster.machine(2)?.files()).toEqual(['2067']);
  });

  it('hands a file to a peer that joins before it and now owns it', () => {
    const { cluster, said, init } = dhtCluster();
    init(REFERENCE_RING, 30);
    cluster.store(2, '4103'); // 4103 mod 256 = 7: peer 8
    cluster.runUntil(10);
    expect(cluster.machine(8)?.files()).toEqual(['4103']);
    cluster.join(7, 2, 30);
    cluster.runUntil(20);
    expect(cluster.machine(8)?.files()).toEqual([]);
    expect(cluster.machine(7)?.files()).toEqual(['4103']);
    const since = said.length;
    cluster.request(4, '4103');
    cluster.runUntil(30);
    expect(said.slice(since).find((event) => event.text === 'File 4103 is stored here')?.peer).toBe(DhtCluster.address(7));
  });

  it('shrinks to a ring of two and of one, and a peer joins a ring of one', () => {
    const { cluster, init } = dhtCluster({ config: { pingIntervalTicks: 10, pingTimeoutTicks: 3 } });
    init([10, 20, 30]);
    cluster.runUntil(5);
    cluster.quit(30);
    cluster.runUntil(10);
    expect(cluster.machine(10)?.successors).toEqual({ first: 20, second: 10 });
    expect(cluster.machine(20)?.successors).toEqual({ first: 10, second: 20 });
    cluster.kill(20);
    cluster.runUntil(60);
    expect(cluster.machine(10)?.successors).toEqual({ first: 10, second: 10 });
    cluster.join(200, 10);
    cluster.runUntil(70);
    expect(cluster.machine(10)?.successors).toEqual({ first: 200, second: 10 });
    expect(cluster.machine(200)?.successors).toEqual({ first: 10, second: 200 });
    expect(wrongSuccessors(cluster)).toEqual([]);
  });

  it('asks again to join, and says so when nobody answers', () => {
    const { cluster, linesOf } = dhtCluster({ config: { joinRetryTicks: 5, joinAttemptsMax: 3 } });
    cluster.join(15, 4); // nobody runs at 4
    cluster.runUntil(30);
    expect(linesOf(15)).toEqual(['Join request to Peer 4 had no answer after 3 attempts; giving up']);
    expect(cluster.machine(15)?.status).toBe('idle');
  });

  it('corrects the second successor of a predecessor that missed a join, with a Successor Change request', () => {
    const { cluster, linesOf, init } = dhtCluster({ config: { pingIntervalTicks: 10, pingTimeoutTicks: 3 } });
    init([0, 10, 20]);
    // Peer 15's request reaches 10 before any ping has told 10 that 0 is its predecessor.
    cluster.join(15, 10);
    cluster.runUntil(2);
    expect(cluster.machine(0)?.successors).toEqual({ first: 10, second: 20 });
    cluster.runUntil(40);
    expect(cluster.machine(0)?.successors).toEqual({ first: 10, second: 15 });
    expect(linesOf(0)).toEqual(expect.arrayContaining(['Successor Change request received', 'My new first successor is Peer 10', 'My new second successor is Peer 15']));
    expect(wrongSuccessors(cluster)).toEqual([]);
  });

  it('answers a Request at its owner by itself, without sending the file anywhere', () => {
    const { cluster, said, init } = dhtCluster();
    init(REFERENCE_RING, 30);
    cluster.runUntil(5);
    const since = said.length;
    cluster.request(8, '4103');
    cluster.runUntil(10);
    expect(said.slice(since).map((event) => event.text)).toEqual(['File 4103 is stored here']);
  });

  it('ignores everything once it has quit', () => {
    const peer = new DhtPeer({ identity: 2 });
    peer.step({ kind: 'command', command: { type: 'dht.init', first: 4, second: 5 } }, 0);
    expect(peer.step({ kind: 'command', command: { type: 'dht.quit' } }, 1).at(-1)).toEqual({ kind: 'reply', reply: { type: 'dht.left' } });
    expect(peer.status).toBe('left');
    expect(peer.step({ kind: 'tick' }, 400)).toEqual([]);
    expect(peer.step({ kind: 'receive', from: DhtCluster.address(19), message: { type: 'dht.ping-request', rank: 1, sequence: 1 } }, 401)).toEqual([]);
  });

  it('journals every console line as a valid console event, which the text log prints as is', () => {
    const { cluster, events, init } = dhtCluster();
    init(REFERENCE_RING, 30);
    cluster.runUntil(5);
    cluster.store(8, '2067');
    cluster.request(2, '4103');
    cluster.type(2, 'Store a912');
    cluster.runUntil(10);
    const lines = events.filter((event) => event.kind === 'console');
    expect(lines.length).toBeGreaterThan(40);
    for (const event of lines) {
      expect(journalEventSchema.parse(event)).toEqual(event);
      expect(describeEvent(event)).toBe(event.text);
    }
    expect(lines.find((event) => event.text === 'Store 2067 request accepted')?.lookup).toEqual({ operation: 'store', file: '2067', route: [8, 9, 14, 19], hops: 3 });
  });
});
