/**
 * A group of HashiCorp Serf agents (`serf agent`, default LAN profile: probe every 1 s, 500 ms
 * probe timeout, suspicion multiplier 4, as Ringside's SWIM defaults) as a `MembershipTarget`
 * for `bench/cluster.ts`.
 *
 * Views are followed through each agent's log, which Serf writes the moment its member list
 * changes (`serf: EventMemberJoin|EventMemberFailed|EventMemberLeave: NAME`; the event handlers,
 * by contrast, are coalesced for seconds), and confirmed with `serf members -format=json`.
 *
 * Loss without root: an agent can run behind a relay (`-advertise` names the relay's port, the
 * agent binds another). The relay forwards UDP both ways and drops each datagram with the set
 * probability, so every gossip message (ping, ack, ping-req, Serf's broadcasts) crosses one lossy
 * hop, as each Ringside message meets one loss draw at its sender. TCP (push-pull state
 * exchanges, memberlist's TCP fallback ping) is relayed without loss: on a real network lost TCP
 * segments are retransmitted rather than lost.
 */
import { execFile } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort, rssKb, spawnTethered, track, type Tethered } from './children.ts';
import { ViewBook, type Belief, type MembershipTarget } from './views.ts';

const HOST = '127.0.0.1';

interface Agent {
  readonly name: string;
  /** Where the agent binds (UDP and TCP). */
  readonly bindPort: number;
  readonly rpcPort: number;
  /** Where the others reach it: the relay's port, or the bind port. */
  readonly port: number;
  readonly relay: LossyRelay | undefined;
  process: Tethered | undefined;
}

const EVENT_LINE = /serf: EventMember(Join|Failed|Leave|Reap|Update): (\S+)/;

export class SerfCluster implements MembershipTarget {
  readonly system = 'Serf';
  readonly size: number;
  readonly book = new ViewBook();
  readonly #prefix: string;
  readonly #relayed: boolean;
  readonly #agents: Agent[] = [];
  #loss: number;
  readonly #untrack: () => void;

  /** `relayed`: behind lossy relays (loss starts at `loss`); otherwise agents talk directly. */
  constructor(prefix: string, size: number, options: { relayed?: boolean; loss?: number } = {}) {
    this.size = size;
    this.#prefix = prefix;
    this.#relayed = options.relayed ?? false;
    this.#loss = options.loss ?? 0;
    this.#untrack = track({ close: () => this.close(), killSync: () => undefined });
  }

  /** Starts the agents, the first alone and the others joining it; resolves with how long that took (ms). */
  async start(): Promise<number> {
    const started = Date.now();
    const agents = await Promise.all(
      Array.from({ length: this.size }, async (_, index): Promise<Agent> => {
        const bindPort = await freePort();
        const rpcPort = await freePort();
        const relay = this.#relayed ? await LossyRelay.open(await freePort(), bindPort, this.#loss) : undefined;
        return { name: `${this.#prefix}-${index + 1}`, bindPort, rpcPort, port: relay?.port ?? bindPort, relay, process: undefined };
      }),
    );
    this.#agents.push(...agents);
    const [first, ...others] = agents as [Agent, ...Agent[]];
    await this.#spawn(first, undefined);
    await Promise.all(others.map((agent) => this.#spawn(agent, first)));
    return Date.now() - started;
  }

  async #spawn(agent: Agent, join: Agent | undefined): Promise<void> {
    const args = ['agent', `-node=${agent.name}`, `-bind=${HOST}:${agent.bindPort}`, `-rpc-addr=${HOST}:${agent.rpcPort}`];
    if (agent.relay !== undefined) args.push(`-advertise=${HOST}:${agent.port}`);
    if (join !== undefined) args.push(`-join=${HOST}:${join.port}`);
    agent.process = await spawnTethered('serf', args, {
      ready: /Serf agent running!/,
      timeoutMs: 15_000,
      onLine: (line, at) => {
        const match = EVENT_LINE.exec(line);
        if (match === null) return;
        const [, kind, subject] = match as unknown as [string, string, string];
        if (kind === 'Join') this.book.set(agent.name, subject, 'alive', at);
        else if (kind === 'Failed') this.book.set(agent.name, subject, 'failed', at);
        else if (kind === 'Leave') this.book.set(agent.name, subject, 'left', at);
      },
    });
  }

  #agent(name: string): Agent {
    const agent = this.#agents.find((candidate) => candidate.name === name);
    if (agent === undefined) throw new Error(`no Serf agent ${name}`);
    return agent;
  }

  live(): string[] {
    return this.#agents.filter((agent) => agent.process !== undefined).map((agent) => agent.name);
  }

  ids(): string[] {
    return this.#agents.map((agent) => agent.name);
  }

  async kill(name: string): Promise<number> {
    const agent = this.#agent(name);
    const process = agent.process;
    if (process === undefined) throw new Error(`${name} is not running`);
    this.book.forget(name);
    agent.process = undefined;
    const at = Date.now();
    await process.kill();
    await process.close();
    return at;
  }

  async restart(name: string): Promise<void> {
    const agent = this.#agent(name);
    if (agent.process !== undefined) await this.kill(name);
    this.book.forget(name);
    const join = this.#agents.find((candidate) => candidate !== agent && candidate.process !== undefined);
    await this.#spawn(agent, join);
  }

  async observed(): Promise<Map<string, Map<string, Belief>>> {
    const observed = new Map<string, Map<string, Belief>>();
    await Promise.all(
      this.#agents
        .filter((agent) => agent.process !== undefined)
        .map(async (agent) => {
          const members = await serfMembers(agent.rpcPort);
          if (members !== undefined) observed.set(agent.name, members);
        }),
    );
    return observed;
  }

  rss(): number[] {
    return this.#agents.map((agent) => rssKb(agent.process?.pid)).filter((kb): kb is number => kb !== undefined);
  }

  /** UDP datagrams the relays forwarded and dropped so far. */
  relayCounters(): { forwarded: number; dropped: number } {
    let forwarded = 0;
    let dropped = 0;
    for (const agent of this.#agents) {
      forwarded += agent.relay?.forwarded ?? 0;
      dropped += agent.relay?.dropped ?? 0;
    }
    return { forwarded, dropped };
  }

  async setLoss(loss: number): Promise<void> {
    if (!this.#relayed && loss > 0) throw new Error('this Serf group runs without relays: it cannot lose messages');
    this.#loss = loss;
    for (const agent of this.#agents) if (agent.relay !== undefined) agent.relay.loss = loss;
  }

  async close(): Promise<void> {
    this.#untrack();
    await Promise.all(
      this.#agents.map(async (agent) => {
        const process = agent.process;
        agent.process = undefined;
        await process?.close();
        await agent.relay?.close();
      }),
    );
  }
}

/** `serf members` of the agent at `rpcPort`: each member's status, or undefined if it did not answer. */
function serfMembers(rpcPort: number): Promise<Map<string, Belief> | undefined> {
  return new Promise((resolve) => {
    execFile('serf', ['members', `-rpc-addr=${HOST}:${rpcPort}`, '-format=json'], { timeout: 5000 }, (error, stdout) => {
      if (error !== null) return resolve(undefined);
      try {
        const parsed = JSON.parse(stdout) as { members: { name: string; status: string }[] };
        resolve(new Map(parsed.members.map((member) => [member.name, toBelief(member.status)])));
      } catch {
        resolve(undefined);
      }
    });
  });
}

function toBelief(status: string): Belief {
  switch (status) {
    case 'alive':
      return 'alive';
    case 'failed':
      return 'failed';
    default:
      return 'left'; // leaving, left
  }
}

/**
 * Forwards UDP and TCP from `port` to `target` on loopback; drops each UDP datagram (either
 * way) with probability `loss`. Replies come back through a socket per sender, as a NAT would.
 */
export class LossyRelay {
  loss: number;
  readonly port: number;
  readonly #target: number;
  readonly #udp: UdpSocket;
  readonly #tcp: Server;
  readonly #upstreams = new Map<string, UdpSocket>();
  readonly #connections = new Set<Socket>();
  forwarded = 0;
  dropped = 0;

  private constructor(port: number, target: number, loss: number, udp: UdpSocket, tcp: Server) {
    this.port = port;
    this.#target = target;
    this.loss = loss;
    this.#udp = udp;
    this.#tcp = tcp;
    udp.on('message', (data, from) => this.#fromSender(data, from));
    udp.on('error', () => undefined);
    tcp.on('connection', (socket) => this.#connection(socket));
  }

  static async open(port: number, target: number, loss: number): Promise<LossyRelay> {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, HOST, () => resolve());
    });
    const tcp = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, HOST, () => resolve());
    });
    tcp.on('error', () => undefined);
    return new LossyRelay(port, target, loss, udp, tcp);
  }

  #lose(): boolean {
    if (this.loss > 0 && Math.random() < this.loss) {
      this.dropped++;
      return true;
    }
    this.forwarded++;
    return false;
  }

  #fromSender(data: Buffer, from: RemoteInfo): void {
    if (this.#lose()) return;
    const key = `${from.address}:${from.port}`;
    let upstream = this.#upstreams.get(key);
    if (upstream === undefined) {
      const socket = createSocket('udp4');
      socket.on('error', () => undefined);
      socket.on('message', (reply) => {
        if (!this.#lose()) this.#udp.send(reply, from.port, from.address);
      });
      socket.bind(0, HOST);
      this.#upstreams.set(key, (upstream = socket));
    }
    upstream.send(data, this.#target, HOST);
  }

  #connection(socket: Socket): void {
    const upstream = connect({ port: this.#target, host: HOST, noDelay: true });
    for (const end of [socket, upstream]) {
      this.#connections.add(end);
      end.on('error', () => {
        socket.destroy();
        upstream.destroy();
      });
      end.on('close', () => {
        this.#connections.delete(end);
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream);
    upstream.pipe(socket);
  }

  async close(): Promise<void> {
    for (const connection of this.#connections) connection.destroy();
    for (const upstream of this.#upstreams.values()) upstream.close();
    this.#upstreams.clear();
    await Promise.all([new Promise<void>((resolve) => this.#udp.close(() => resolve())), new Promise<void>((resolve) => this.#tcp.close(() => resolve()))]);
  }
}
