/**
 * Scenario scripts: a small language that drives a simulated membership group and prints a
 * transcript, for golden tests in the style of etcd's raft and for `ringside sim FILE`. A script
 * whose first command is `kind dht` drives the circular DHT instead (`dht-script.ts`).
 *
 *   kind membership                    optional, first: the default kind
 *   # setup (before the first start)
 *   protocol swim                      gossip | swim (default swim)
 *   seed 7                             the root seed (default 1)
 *   peers 10                           how many peers exist (default 10); peer k is k.0.0.0:0
 *   set swim.probeIntervalTicks 5      any protocol tunable (see membership/*\/config.ts)
 *   # actions, at the current tick
 *   start 10                           first of all, without `peers`: ten peers, all started
 *   start 1-10 | crash 3 | restart 3 | leave 4,5
 *   loss 0.1 | loss 0.5 from 1 to 2    global or per directed link
 *   delay 2 | delay uniform 1 4 | delay exponential 3 20
 *   duplicate 0.05 | reorder 0.1
 *   partition 1,2 | 3-5                two-way; `partition 1,2 -> 3-5` is one-way
 *   heal                               removes partitions and link faults, zero loss
 *   # time and checks
 *   tick 100
 *   expect removed 3 by all within 30  removed | suspected | alive | left; by all | any | 1,2
 *   expect converged within 50         every running member sees exactly the running members
 *   members 1                          prints what peer 1 believes
 *
 * After each command, the member events it caused are printed, grouped as
 * `[tick] SUBJECT KIND by OBSERVERS`. A failed expectation prints FAIL and is counted.
 */
import type { JournalEvent, MemberEvent } from '../journal/events.ts';
import { isMemberEvent } from '../journal/events.ts';
import type { PeerId } from '../machine.ts';
import { GOSSIP_DEFAULTS, gossipConfigProblem, type GossipConfig } from '../membership/gossip/config.ts';
import { SWIM_DEFAULTS, swimConfigProblem, type SwimConfig } from '../membership/swim/config.ts';
import type { MembershipProtocol } from '../membership/types.ts';
import { MembershipCluster } from './membership-cluster.ts';
import { runDhtScript } from './dht-script.ts';
import { describeDelay, validateDelay, type DelayModel } from './network.ts';
import { oneArgument, ScriptError, scriptLines, wholeNumber, type ScriptResult } from './script-error.ts';

export { ScriptError, type ScriptResult } from './script-error.ts';

/** Expectations wait at most this long, so a typo cannot make a script run forever. */
const EXPECT_WITHIN_MAX = 100_000;
const TICK_MAX = 1_000_000;
const PEERS_MAX = 1000;

type ExpectKind = 'removed' | 'suspected' | 'alive' | 'left';
const LAST_EVENT_OF: Readonly<Record<Exclude<ExpectKind, 'alive'>, MemberEvent['kind']>> = {
  removed: 'member.removed',
  suspected: 'member.suspected',
  left: 'member.left',
};

/** Runs a script: membership by default, the circular DHT's language after `kind dht`. */
export function runScript(text: string): ScriptResult {
  const first = scriptLines(text)[0]?.source.split(/\s+/);
  if (first?.[0] === 'kind' && first[1] === 'dht') return runDhtScript(text);
  return new ScriptRun().run(text);
}

class ScriptRun {
  #protocol: MembershipProtocol = 'swim';
  #seed: number | string = 1;
  #peerCount = 10;
  #peerCountSet = false;
  readonly #gossip: Record<string, number> = {};
  readonly #swim: Record<string, number> = {};
  #cluster: MembershipCluster | undefined;
  /** Member events not yet printed. */
  #pending: MemberEvent[] = [];
  /** The last member event kind per observer and subject, for expectations. */
  readonly #last = new Map<string, MemberEvent['kind']>();
  readonly #out: string[] = [];
  #failures = 0;
  #line = 0;

  run(text: string): ScriptResult {
    const lines = text.split('\n');
    for (let index = 0; index < lines.length; index++) {
      this.#line = index + 1;
      const source = (lines[index] as string).replace(/#.*/, '').trim();
      if (source === '') continue;
      this.#out.push(`> ${source}`);
      this.#execute(source.split(/\s+/));
      this.#flushEvents();
    }
    return { transcript: `${this.#out.join('\n')}\n`, failures: this.#failures, ticks: this.#cluster?.now ?? 0 };
  }

  #execute(words: string[]): void {
    const [command, ...rest] = words as [string, ...string[]];
    let args = rest;
    switch (command) {
      case 'kind':
        // `kind membership` is the default; `kind dht` is read by dht-script.ts.
        if (this.#out.length > 1) this.#fail('"kind" must be the first command');
        if (this.#one(args, 'membership | dht') !== 'membership') this.#fail('"kind dht" must be the first command');
        return;
      case 'protocol': {
        this.#beforeStart(command);
        const protocol = this.#one(args, 'gossip | swim');
        if (protocol !== 'gossip' && protocol !== 'swim') this.#fail(`unknown protocol "${protocol}": gossip | swim`);
        this.#protocol = protocol;
        return;
      }
      case 'seed':
        this.#beforeStart(command);
        this.#seed = this.#integer(this.#one(args, 'a seed'), 0, Number.MAX_SAFE_INTEGER);
        return;
      case 'peers':
        this.#beforeStart(command);
        this.#peerCount = this.#integer(this.#one(args, 'a peer count'), 1, PEERS_MAX);
        this.#peerCountSet = true;
        return;
      case 'set':
        this.#beforeStart(command);
        this.#set(args);
        return;
      case 'start':
      case 'restart':
        // Before the group exists, `start 10` means what it says: ten peers, all starting now.
        if (command === 'start' && this.#cluster === undefined && !this.#peerCountSet && args.length === 1 && /^\d+$/.test(args[0] as string)) {
          this.#peerCount = this.#integer(args[0] as string, 1, PEERS_MAX);
          args = ['all'];
          // Say how the line was read: someone who meant peer N alone learns to write `peers` first.
          this.#out.push(`  (a group of ${this.#peerCount} peers, all started; for single peers, write "peers N" first)`);
        }
        for (const id of this.#peers(args)) {
          const status = this.#sim().status(id);
          if (status === 'running') this.#fail(`peer ${this.#name(id)} is already running`);
          if (command === 'start' && status !== 'stopped') this.#fail(`peer ${this.#name(id)} ran before: use restart`);
          if (command === 'restart' && status === 'stopped') this.#fail(`peer ${this.#name(id)} never ran: use start`);
          this.#started().start(id);
        }
        return;
      case 'crash':
      case 'leave':
        for (const id of this.#peers(args)) {
          if (this.#sim().status(id) !== 'running') this.#fail(`peer ${this.#name(id)} is not running`);
          if (command === 'crash') this.#started().crash(id);
          else this.#started().leave(id);
        }
        return;
      case 'tick':
        this.#started().runUntil(this.#started().now + this.#integer(this.#one(args, 'a tick count'), 1, TICK_MAX));
        return;
      case 'loss':
        this.#loss(args);
        return;
      case 'delay':
        this.#delay(args);
        return;
      case 'duplicate':
      case 'reorder': {
        const probability = this.#probability(this.#one(args, 'a probability'));
        this.#sim().network.configure(command === 'duplicate' ? { duplicate: probability } : { reorder: probability });
        this.#fault(`${command} ${probability}`);
        return;
      }
      case 'partition':
        this.#partition(args);
        return;
      case 'heal':
        this.#sim().network.healAll();
        this.#fault('heal');
        return;
      case 'expect':
        this.#expect(args);
        return;
      case 'members':
        this.#members(args);
        return;
      default:
        this.#fail(`unknown command "${command}"`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Setup

  #set(args: string[]): void {
    if (args.length !== 2) this.#fail('set takes a name and a value: set swim.probeIntervalTicks 5');
    const [name, value] = args as [string, string];
    const [protocol, key] = name.split('.') as [string, string | undefined];
    const defaults: object | undefined = protocol === 'swim' ? SWIM_DEFAULTS : protocol === 'gossip' ? GOSSIP_DEFAULTS : undefined;
    if (defaults === undefined || key === undefined || !Object.hasOwn(defaults, key)) {
      this.#fail(`unknown setting "${name}"; settings are swim.* and gossip.* tunables`);
    }
    const target = protocol === 'swim' ? this.#swim : this.#gossip;
    target[key as string] = this.#integer(value, 0, TICK_MAX);
    // Say now, at this line, if the tunables cannot work together, not when a peer starts.
    const problem =
      protocol === 'swim'
        ? swimConfigProblem({ ...SWIM_DEFAULTS, ...(this.#swim as Partial<SwimConfig>) })
        : gossipConfigProblem({ ...GOSSIP_DEFAULTS, ...(this.#gossip as Partial<GossipConfig>) });
    if (problem !== undefined) this.#fail(problem);
  }

  #beforeStart(command: string): void {
    if (this.#cluster !== undefined) this.#fail(`"${command}" must come before the first action`);
  }

  #started(): MembershipCluster {
    if (this.#cluster === undefined) {
      this.#cluster = new MembershipCluster({
        protocol: this.#protocol,
        peers: this.#peerCount,
        seed: this.#seed,
        gossip: this.#gossip as Partial<GossipConfig>,
        swim: this.#swim as Partial<SwimConfig>,
        onEvent: (event) => this.#record(event),
      });
    }
    return this.#cluster;
  }

  #sim(): MembershipCluster['sim'] {
    return this.#started().sim;
  }

  #record(event: JournalEvent): void {
    if (!isMemberEvent(event)) return;
    this.#pending.push(event);
    this.#last.set(`${event.peer} ${event.subject}`, event.kind);
  }

  // ------------------------------------------------------------------------------------------
  // Faults

  #fault(description: string): void {
    const sim = this.#sim();
    sim.emit({ kind: 'fault.changed', tick: sim.now, description });
  }

  #loss(args: string[]): void {
    const probability = this.#probability(args[0] ?? this.#fail('loss takes a probability'));
    if (args.length === 1) {
      this.#sim().network.configure({ loss: probability });
    } else if (args.length === 5 && args[1] === 'from' && args[3] === 'to') {
      const [from] = this.#peers([args[2] as string]);
      const [to] = this.#peers([args[4] as string]);
      this.#sim().network.setLinkFaults(from as PeerId, to as PeerId, { loss: probability });
    } else {
      this.#fail('loss P, or loss P from A to B');
    }
    this.#fault(`loss ${args.join(' ')}`);
  }

  #delay(args: string[]): void {
    let delay: DelayModel;
    if (args.length === 1) delay = { kind: 'constant', ticks: this.#integer(args[0] as string, 1, TICK_MAX) };
    else if (args[0] === 'uniform' && args.length === 3) {
      delay = {
        kind: 'uniform',
        minTicks: this.#integer(args[1] as string, 1, TICK_MAX),
        maxTicks: this.#integer(args[2] as string, 1, TICK_MAX),
      };
    } else if (args[0] === 'exponential' && args.length === 3) {
      delay = {
        kind: 'exponential',
        meanTicks: this.#integer(args[1] as string, 1, TICK_MAX),
        maxTicks: this.#integer(args[2] as string, 1, TICK_MAX),
      };
    } else {
      return this.#fail('delay N, delay uniform MIN MAX, or delay exponential MEAN MAX');
    }
    try {
      validateDelay(delay);
    } catch (error) {
      this.#fail((error as Error).message);
    }
    this.#sim().network.configure({ delay });
    this.#fault(`delay ${describeDelay(delay)}`);
  }

  #partition(args: string[]): void {
    const text = args.join(' ');
    const oneWay = text.includes('->');
    const sides = text.split(oneWay ? '->' : '|').map((side) => side.trim());
    if (sides.length !== 2 || sides[0] === '' || sides[1] === '') {
      this.#fail('partition A | B (two-way) or partition A -> B (one-way), with peer lists such as 1,2 or 3-5');
    }
    const sources = this.#peers((sides[0] as string).split(/\s+/));
    const targets = this.#peers((sides[1] as string).split(/\s+/));
    this.#sim().network.partition(sources, targets, oneWay);
    this.#fault(`partition ${text}`);
  }

  // ------------------------------------------------------------------------------------------
  // Checks

  #expect(args: string[]): void {
    const cluster = this.#started();
    const withinAt = args.indexOf('within');
    if (withinAt === -1 || withinAt !== args.length - 2) this.#fail('an expectation ends with "within TICKS"');
    const within = this.#integer(args[withinAt + 1] as string, 0, EXPECT_WITHIN_MAX);
    const [kind, ...rest] = args.slice(0, withinAt) as [string, ...string[]];

    let check: () => { ok: boolean; detail: string };
    if (kind === 'converged') {
      if (rest.length !== 0) this.#fail('expect converged within TICKS');
      check = () => this.#converged(cluster);
    } else if (kind === 'removed' || kind === 'suspected' || kind === 'alive' || kind === 'left') {
      if (rest.length !== 3 || rest[1] !== 'by') this.#fail(`expect ${kind} PEER by all|any|PEERS within TICKS`);
      const [subject] = this.#peers([rest[0] as string]) as [PeerId];
      const quantifier = rest[2] as string;
      const named = quantifier === 'all' || quantifier === 'any' ? undefined : this.#peers([quantifier]);
      check = () => {
        const observers = (named ?? cluster.members()).filter((id) => id !== subject);
        const holds = (observer: PeerId): boolean => this.#holds(cluster, kind, observer, subject);
        const failing = observers.filter((observer) => !holds(observer));
        const ok = quantifier === 'any' ? failing.length < observers.length : failing.length === 0 && observers.length > 0;
        const detail = ok
          ? `${this.#name(subject)} ${kind} by ${this.#names(observers.filter(holds))}`
          : `${this.#name(subject)} not ${kind} by ${this.#names(failing) || 'anyone'}`;
        return { ok, detail };
      };
    } else {
      return this.#fail(`unknown expectation "${kind}": removed, suspected, alive, left or converged`);
    }

    const start = cluster.now;
    let result = check();
    while (!result.ok && cluster.now - start < within) {
      cluster.runUntil(cluster.now + 1);
      result = check();
    }
    this.#flushEvents();
    const waited = cluster.now - start;
    if (result.ok) this.#out.push(`ok: ${result.detail} (after ${waited} ticks)`);
    else {
      this.#failures++;
      this.#out.push(`FAIL: after ${waited} ticks, ${result.detail}`);
    }
  }

  #holds(cluster: MembershipCluster, kind: ExpectKind, observer: PeerId, subject: PeerId): boolean {
    if (kind === 'alive') {
      const machine = cluster.machine(observer);
      return machine?.members().some((view) => view.id === subject && view.state === 'alive') ?? false;
    }
    return this.#last.get(`${observer} ${subject}`) === LAST_EVENT_OF[kind];
  }

  /** Every running peer has joined and counts exactly the running peers as members. */
  #converged(cluster: MembershipCluster): { ok: boolean; detail: string } {
    const running = cluster.ids.filter((id) => cluster.sim.status(id) === 'running');
    const disagreeing = running.filter((observer) => {
      const machine = cluster.machine(observer);
      if (machine === undefined || machine.status !== 'member' || machine.memberCount() !== running.length) return true;
      return running.some((id) => !machine.isMember(id));
    });
    if (disagreeing.length === 0 && running.length > 0) {
      return { ok: true, detail: `${running.length} members agree` };
    }
    return { ok: false, detail: `not converged: ${this.#names(disagreeing)} disagree` };
  }

  #members(args: string[]): void {
    const cluster = this.#started();
    for (const id of this.#peers(args)) {
      const machine = cluster.machine(id);
      if (machine === undefined) {
        this.#out.push(`${this.#name(id)}: ${this.#sim().status(id)}`);
        continue;
      }
      const views = machine.members().sort((a, b) => this.#number(a.id) - this.#number(b.id));
      const parts = views.map((view) => {
        const version = view.incarnation !== undefined ? ` inc ${view.incarnation}` : '';
        return `${this.#name(view.id)} ${view.state}${version}`;
      });
      this.#out.push(`${this.#name(id)} (${machine.status}): ${parts.join(', ')}`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Output

  #flushEvents(): void {
    if (this.#pending.length === 0) return;
    const groups = new Map<string, { tick: number; subject: PeerId; kind: string; observers: PeerId[] }>();
    for (const event of this.#pending) {
      const key = `${event.tick} ${event.subject} ${event.kind}`;
      let group = groups.get(key);
      if (group === undefined) {
        group = { tick: event.tick, subject: event.subject, kind: event.kind.slice('member.'.length), observers: [] };
        groups.set(key, group);
      }
      group.observers.push(event.peer);
    }
    this.#pending = [];
    for (const group of groups.values()) {
      this.#out.push(`  [${group.tick}] ${this.#name(group.subject)} ${group.kind} by ${this.#names(group.observers)}`);
    }
  }

  /** Peer k's short name in the transcript: k. */
  #name(id: PeerId): string {
    return String(this.#number(id));
  }

  #number(id: PeerId): number {
    return Number(id.split('.')[0]);
  }

  /** Peer numbers as compact ranges: 1-3,5,7-9. */
  #names(ids: readonly PeerId[]): string {
    const numbers = [...new Set(ids.map((id) => this.#number(id)))].sort((a, b) => a - b);
    const ranges: string[] = [];
    for (let index = 0; index < numbers.length; ) {
      let end = index;
      while (end + 1 < numbers.length && numbers[end + 1] === (numbers[end] as number) + 1) end++;
      ranges.push(end > index ? `${numbers[index]}-${numbers[end]}` : `${numbers[index]}`);
      index = end + 1;
    }
    return ranges.join(',');
  }

  // ------------------------------------------------------------------------------------------
  // Parsing

  /** Peer lists: `3`, `1,2`, `3-5`, `1,4-6`, `all`. */
  #peers(args: readonly string[]): PeerId[] {
    const ids = this.#started().ids;
    const text = args.join(',');
    if (text === '') this.#fail('name the peers: 3, 1,2, 3-5 or all');
    if (text === 'all') return [...ids];
    const chosen: PeerId[] = [];
    for (const part of text.split(',').filter((piece) => piece !== '')) {
      const match = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (match === null) this.#fail(`"${part}" is not a peer number or range`);
      const first = Number((match as RegExpExecArray)[1]);
      const last = Number((match as RegExpExecArray)[2] ?? first);
      if (first < 1 || last > ids.length || first > last) this.#fail(`peers are numbered 1-${ids.length}; "${part}" is not`);
      for (let number = first; number <= last; number++) chosen.push(ids[number - 1] as PeerId);
    }
    return chosen;
  }

  #one(args: readonly string[], what: string): string {
    return oneArgument(args, what, this.#line);
  }

  #integer(text: string, min: number, max: number): number {
    return wholeNumber(text, min, max, this.#line);
  }

  #probability(text: string): number {
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || value < 0 || value > 1) this.#fail(`"${text}" is not a probability in [0, 1]`);
    return value;
  }

  #fail(message: string): never {
    throw new ScriptError(this.#line, message);
  }
}
