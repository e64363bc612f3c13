/**
 * Scenario scripts for the circular DHT: the classroom program's own commands, run in the
 * simulator, with every peer's console lines in one transcript (`[tick] peer N: line`, and
 * `[tick] peer N started | left | killed`), for golden tests and `ringside sim FILE`.
 *
 *   kind dht                           first: this language (the default is membership)
 *   # setup (before the first start)
 *   seed 7                             the root seed (default 1)
 *   set tickMs 100                     the tick length that turns seconds into ticks (default 100)
 *   set dht.lostPingsMax 3             any DHT tunable (see dht/config.ts); fingers: 1 or 0
 *   # actions, at the current tick
 *   init 2 4 5 30                      p2p init PEER FIRST_SUCCESSOR SECOND_SUCCESSOR PING_INTERVAL_SECONDS
 *   join 15 4 30                       p2p join PEER KNOWN_PEER PING_INTERVAL_SECONDS
 *   type 8 Store 2067                  a line typed on peer 8's console: Store NNNN, Request NNNN, Quit
 *   kill 14                            Ctrl-C: the peer stops at once and tells no one
 *   # time, output and checks
 *   tick 300
 *   pings hide | pings show            leave the ping lines out of the transcript, or not (they
 *                                      are journaled either way)
 *   expect ring within 50              every running peer's successors are the next two running peers
 *   expect said 8 within 600: Peer 14 is no longer alive     (since the last action)
 *   ring                               what each running peer believes
 *
 * The last line of a Store or Request (accepted, stored here) is followed by its route.
 */
import type { DhtConfig } from '../dht/config.ts';
import { DHT_DEFAULTS, dhtConfigProblem } from '../dht/config.ts';
import { clockwiseFrom } from '../dht/circle.ts';
import type { JournalEvent } from '../journal/events.ts';
import { IDENTITY_COUNT } from '../protocol/dht.ts';
import { DhtCluster } from './dht-cluster.ts';
import { oneArgument, ScriptError, scriptLines, wholeNumber, type ScriptResult } from './script-error.ts';

const TICK_MAX = 1_000_000;
const EXPECT_WITHIN_MAX = 100_000;
const INTERVAL_SECONDS_MAX = 3600;

type ConsoleEvent = Extract<JournalEvent, { kind: 'console' }>;
type LifeEvent = Extract<JournalEvent, { kind: 'peer.started' | 'peer.restarted' | 'peer.left' | 'peer.crashed' }>;
const LIFE_WORDS: Readonly<Record<LifeEvent['kind'], string>> = {
  'peer.started': 'started',
  'peer.restarted': 'started again',
  'peer.left': 'left',
  'peer.crashed': 'killed',
};

export function runDhtScript(text: string): ScriptResult {
  return new DhtScriptRun().run(text);
}

class DhtScriptRun {
  #seed: number | string = 1;
  #tickMs = 100;
  readonly #config: Record<string, number | boolean> = {};
  #cluster: DhtCluster | undefined;
  #showPings = true;
  #pending: (ConsoleEvent | LifeEvent)[] = [];
  /** Every console line so far, for `expect said`. */
  readonly #said: ConsoleEvent[] = [];
  /** How many lines had been said when the last action (init, join, type, kill) ran. */
  #saidBeforeAction = 0;
  readonly #out: string[] = [];
  #failures = 0;
  #line = 0;

  run(text: string): ScriptResult {
    for (const { number, source } of scriptLines(text)) {
      this.#line = number;
      this.#out.push(`> ${source}`);
      if (/^(init|join|type|kill)\s/.test(source)) this.#saidBeforeAction = this.#said.length;
      this.#execute(source);
      this.#flush();
    }
    return { transcript: `${this.#out.join('\n')}\n`, failures: this.#failures, ticks: this.#cluster?.now ?? 0 };
  }

  #execute(source: string): void {
    const [command, ...args] = source.split(/\s+/) as [string, ...string[]];
    switch (command) {
      case 'kind':
        if (this.#out.length > 1 || args.join(' ') !== 'dht') this.#fail('"kind dht" must be the first command');
        return;
      case 'seed':
        this.#beforeStart(command);
        this.#seed = this.#integer(this.#one(args, 'a seed'), 0, Number.MAX_SAFE_INTEGER);
        return;
      case 'set':
        this.#beforeStart(command);
        this.#set(args);
        return;
      case 'init': {
        if (args.length !== 4) this.#fail('init PEER FIRST_SUCCESSOR SECOND_SUCCESSOR PING_INTERVAL_SECONDS');
        const [peer, first, second] = args.slice(0, 3).map((arg) => this.#identity(arg)) as [number, number, number];
        this.#startable(peer);
        this.#started().init(peer, first, second, this.#integer(args[3] as string, 1, INTERVAL_SECONDS_MAX));
        return;
      }
      case 'join': {
        if (args.length !== 3) this.#fail('join PEER KNOWN_PEER PING_INTERVAL_SECONDS');
        const [peer, known] = args.slice(0, 2).map((arg) => this.#identity(arg)) as [number, number];
        this.#startable(peer);
        this.#started().join(peer, known, this.#integer(args[2] as string, 1, INTERVAL_SECONDS_MAX));
        return;
      }
      case 'type': {
        if (args.length < 2) this.#fail('type PEER LINE, such as: type 8 Store 2067');
        const peer = this.#running(args[0] as string);
        this.#started().type(peer, source.replace(/^type\s+\S+\s+/, ''));
        return;
      }
      case 'kill':
        this.#started().kill(this.#running(this.#one(args, 'a peer')));
        return;
      case 'tick':
        this.#started().runUntil(this.#started().now + this.#integer(this.#one(args, 'a tick count'), 1, TICK_MAX));
        return;
      case 'pings': {
        const choice = this.#one(args, 'show | hide');
        if (choice !== 'show' && choice !== 'hide') this.#fail('pings show | pings hide');
        this.#showPings = choice === 'show';
        return;
      }
      case 'expect':
        this.#expect(source);
        return;
      case 'ring':
        if (args.length !== 0) this.#fail('ring takes nothing');
        this.#ring();
        return;
      default:
        this.#fail(`unknown command "${command}"`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Setup

  #set(args: string[]): void {
    if (args.length !== 2) this.#fail('set takes a name and a value: set dht.lostPingsMax 3');
    const [name, value] = args as [string, string];
    if (name === 'tickMs') {
      this.#tickMs = this.#integer(value, 1, 60_000);
      return;
    }
    const key = name.startsWith('dht.') ? name.slice('dht.'.length) : undefined;
    if (key === undefined || !Object.hasOwn(DHT_DEFAULTS, key)) this.#fail(`unknown setting "${name}"; settings are tickMs and dht.* tunables`);
    const isFlag = typeof DHT_DEFAULTS[key as keyof DhtConfig] === 'boolean';
    this.#config[key as string] = isFlag ? this.#integer(value, 0, 1) === 1 : this.#integer(value, 0, TICK_MAX);
    const problem = dhtConfigProblem({ ...DHT_DEFAULTS, ...(this.#config as Partial<DhtConfig>) });
    if (problem !== undefined) this.#fail(problem);
  }

  #beforeStart(command: string): void {
    if (this.#cluster !== undefined) this.#fail(`"${command}" must come before the first action`);
  }

  #started(): DhtCluster {
    this.#cluster ??= new DhtCluster({
      seed: this.#seed,
      tickMs: this.#tickMs,
      config: this.#config as Partial<DhtConfig>,
      onEvent: (event) => {
        if (event.kind === 'peer.started' || event.kind === 'peer.restarted' || event.kind === 'peer.left' || event.kind === 'peer.crashed') {
          this.#pending.push(event);
          return;
        }
        if (event.kind !== 'console') return;
        this.#said.push(event);
        if (this.#showPings || !event.text.startsWith('Ping ')) this.#pending.push(event);
      },
    });
    return this.#cluster;
  }

  // ------------------------------------------------------------------------------------------
  // Checks

  #expect(source: string): void {
    const cluster = this.#started();
    const ring = /^expect ring within (\d+)$/.exec(source);
    const said = /^expect said (\d+) within (\d+): (.+)$/.exec(source);
    let check: () => { ok: boolean; detail: string };
    let within: number;
    if (ring !== null) {
      within = this.#integer(ring[1] as string, 0, EXPECT_WITHIN_MAX);
      check = () => this.#ringHolds(cluster);
    } else if (said !== null) {
      const peer = this.#identity(said[1] as string);
      within = this.#integer(said[2] as string, 0, EXPECT_WITHIN_MAX);
      const text = said[3] as string;
      const since = this.#saidBeforeAction;
      const address = DhtCluster.address(peer);
      check = () => {
        const ok = this.#said.slice(since).some((event) => event.peer === address && event.text === text);
        return { ok, detail: `peer ${peer} ${ok ? 'said' : 'did not say'} "${text}"` };
      };
    } else {
      return this.#fail('expect ring within TICKS, or expect said PEER within TICKS: LINE');
    }
    const start = cluster.now;
    let result = check();
    while (!result.ok && cluster.now - start < within) {
      cluster.runUntil(cluster.now + 1);
      result = check();
    }
    this.#flush();
    const waited = cluster.now - start;
    if (result.ok) this.#out.push(`ok: ${result.detail} (after ${waited} ticks)`);
    else {
      this.#failures++;
      this.#out.push(`FAIL: after ${waited} ticks, ${result.detail}`);
    }
  }

  /** Every running peer is in the ring and its successors are the next two running peers. */
  #ringHolds(cluster: DhtCluster): { ok: boolean; detail: string } {
    const running = cluster.running();
    const wrong = running.filter((peer) => {
      const machine = cluster.machine(peer);
      const [first, second] = clockwiseFrom(peer, running);
      const expectedSecond = running.length === 1 ? peer : second;
      return machine?.status !== 'member' || machine.successors.first !== first || machine.successors.second !== expectedSecond;
    });
    if (wrong.length === 0) return { ok: true, detail: `ring ${running.join(' → ')} → ${running[0] ?? ''}` };
    return { ok: false, detail: `peers ${wrong.join(', ')} have wrong successors` };
  }

  #ring(): void {
    const cluster = this.#started();
    for (const peer of cluster.running()) {
      const machine = cluster.machine(peer);
      if (machine === undefined) continue;
      const { first, second } = machine.successors;
      const predecessors = machine.predecessors(cluster.now);
      const files = machine.files();
      this.#out.push(
        `peer ${peer} (${machine.status}): successors ${first}, ${second}; predecessors ${predecessors.first ?? '?'}, ${predecessors.second ?? '?'}; files ${files.length === 0 ? '-' : files.join(', ')}`,
      );
    }
  }

  // ------------------------------------------------------------------------------------------
  // Output

  #flush(): void {
    for (const event of this.#pending) {
      if (event.kind !== 'console') {
        this.#out.push(`  [${event.tick}] peer ${DhtCluster.identityOf(event.peer)} ${LIFE_WORDS[event.kind]}`);
        continue;
      }
      this.#out.push(`  [${event.tick}] peer ${DhtCluster.identityOf(event.peer)}: ${event.text}`);
      const lookup = event.lookup;
      const arrived = lookup !== undefined && /accepted$|is stored here$/.test(event.text);
      if (arrived) this.#out.push(`      (route ${lookup.route.join(' → ')}, ${lookup.hops} hop${lookup.hops === 1 ? '' : 's'})`);
    }
    this.#pending = [];
  }

  // ------------------------------------------------------------------------------------------
  // Parsing

  #identity(text: string): number {
    return this.#integer(text, 0, IDENTITY_COUNT - 1);
  }

  #running(text: string): number {
    const peer = this.#identity(text);
    if (!this.#started().isRunning(peer)) this.#fail(`peer ${peer} is not running`);
    return peer;
  }

  #startable(peer: number): void {
    if (this.#started().isRunning(peer)) this.#fail(`peer ${peer} is already running`);
  }

  #one(args: readonly string[], what: string): string {
    return oneArgument(args, what, this.#line);
  }

  #integer(text: string, min: number, max: number): number {
    return wholeNumber(text, min, max, this.#line);
  }

  #fail(message: string): never {
    throw new ScriptError(this.#line, message);
  }
}
