/**
 * `npm run bench:dht`: the circular DHT's speed (issue 6, section 5).
 *
 *   1. Lookup hops for 64 and 256 peers, with and without finger tables: Store and Request from
 *      random peers for random file names, in the simulator (exact and seeded: `--seed`).
 *   2. Lookup latency between real `ringside p2p` processes on loopback: from typing `Store NNNN`
 *      or `Request NNNN` on a peer's standard input to the last line (`Store NNNN request
 *      accepted` at the owner; `File NNNN received` at the requester, the file's bytes sent
 *      straight from the holder). 64 peers (16 with --quick), with and without `--fingers`. Rings
 *      too big for this machine's memory (256 real peers need about 30 GB) are modeled: the
 *      simulator's hops for that ring, times the per-hop latency measured between real peers,
 *      plus the fixed cost measured with them.
 *   3. Time to repair the ring after an abrupt departure (SIGKILL) at the default ping interval
 *      (30 s, 3 lost pings): until both predecessors of the killed peer hold the right two
 *      successors. In the simulator for 64 and 256 peers, and between real processes (--quick:
 *      a 5 s interval, so it fits in the minute). The spec's bound: within 60 s.
 *
 *   npm run bench:dht                   everything (about 3.5 minutes on 2 cores)
 *   npm run bench:dht -- --quick        16 real peers, fewer lookups and kills (about 45 s)
 *   npm run bench:dht -- --seed 7       another seed for the simulator and the random lookups
 *   npm run bench:dht -- --real 32      real rings of these sizes (comma-separated; default 64)
 *
 * Tables go to standard output, progress to standard error. Every process started here is ended
 * on the way out, Ctrl-C included.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DHT_DEFAULTS, detectionTicksMax, ticksFromSeconds, TICK_MS_DEFAULT } from '../src/shared/dht/config.ts';
import { fileHash } from '../src/shared/dht/placement.ts';
import { RandomStream } from '../src/shared/random/stream.ts';
import { benchBegan, closeAll, closeAllOnSignals, progress, sleep } from './children.ts';
import { table } from './report.ts';
import { cpuTicksOf, peerCpuTicks, RealRing } from './dht-real.ts';
import { fileNames, idealHops, randomLookups, Ring, ringOf, simulateLookups, simulateRepairs, type Lookup, type LookupRun, type Operation, type RepairRun } from './dht-sim.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    real: { type: 'string' },
  },
});
const quick = values.quick;
const seed = values.seed;
const realSizes = (values.real ?? (quick ? '16' : '64')).split(',').map((text) => {
  const size = Number(text.trim());
  if (!Number.isInteger(size) || size < 4 || size > 256) throw new Error(`--real: ${text} is not a ring size from 4 to 256`);
  return size;
});

const SIM_SIZES = [64, 256];
const SIM_LOOKUPS = quick ? 2000 : 10_000;
const REPAIR_SAMPLES: Record<number, number> = quick ? { 64: 40 } : { 64: 400, 256: 200 };
/** Real lookups per ring and operation. */
const REAL_LOOKUPS = quick ? 20 : 250;
/** The real rings' ping interval: the default (30 s) in full; short enough for the minute in --quick. */
const DEFAULT_INTERVAL_SECONDS = (DHT_DEFAULTS.pingIntervalTicks * TICK_MS_DEFAULT) / 1000;
const REAL_INTERVAL_SECONDS = quick ? 5 : DEFAULT_INTERVAL_SECONDS;
/** Peers killed at once in the real repair run, spread round the ring (never neighbours). */
const REAL_KILLS = quick ? 2 : 4;
const REQUEST_FILE_BYTES = 1024;
const LOOKUP_TIMEOUT_MS = 10_000;
/** A real peer's resident memory before one has been measured (a p2p peer is ~117 MB). */
const PEER_MEGABYTES_GUESS = 120;
/** Memory left to everything else on the machine. */
const MEMORY_RESERVE_MEGABYTES = 2048;

const began = benchBegan;

// ------------------------------------------------------------------------------------------
// Cleanup on every way out

closeAllOnSignals();

// ------------------------------------------------------------------------------------------
// Figures

function percentile(values: readonly number[], share: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))];
}
const mean = (values: readonly number[]): number | undefined => (values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length);
const fixed = (value: number | undefined, digits = 1): string => (value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits));
const whole = (value: number | undefined): string => (value === undefined ? '—' : String(Math.round(value)));

/**
 * y = a + b·x by Theil–Sen (b: the median of the slopes between every two points with different
 * x; a: the median of y − b·x), which a few slow lookups on a busy machine do not drag as they
 * would least squares; and the residuals y − (a + b·x), from which the model draws its jitter.
 */
function fit(points: readonly { x: number; y: number }[]): { a: number; b: number; residuals: number[] } | undefined {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const p = points[i] as { x: number; y: number };
      const q = points[j] as { x: number; y: number };
      if (p.x !== q.x) slopes.push((q.y - p.y) / (q.x - p.x));
    }
  }
  const b = percentile(slopes, 0.5);
  if (b === undefined) return undefined;
  const a = percentile(points.map((point) => point.y - b * point.x), 0.5) as number;
  return { a, b, residuals: points.map((point) => point.y - (a + b * point.x)) };
}

// ------------------------------------------------------------------------------------------
// The machine: load and other processes' CPU

interface CpuSnapshot {
  readonly at: number;
  readonly busy: number;
  readonly ours: number;
}
function cpuSnapshot(): CpuSnapshot {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  // This process (its own ticks; its peers are counted one by one, stopped ones as last read).
  return { at: Date.now(), busy: user + nice + system + irq + softirq + steal, ours: (cpuTicksOf(process.pid) ?? 0) + peerCpuTicks() };
}
function othersShare(from: CpuSnapshot, to: CpuSnapshot): number {
  const capacity = ((to.at - from.at) / 1000) * 100 * cpus().length;
  return capacity <= 0 ? 0 : Math.max(0, to.busy - from.busy - (to.ours - from.ours)) / capacity;
}
const load = (): string => loadavg().map((value) => value.toFixed(2)).join(' / ');
const sectionLoads: string[] = [];
async function section(name: string, run: () => Promise<void> | void): Promise<void> {
  const from = cpuSnapshot();
  const loadBefore = load();
  try {
    await run();
  } finally {
    const share = othersShare(from, cpuSnapshot());
    sectionLoads.push(`${name}: load average ${loadBefore} before, ${load()} after; other processes used ${(share * 100).toFixed(0)} % of the ${cpus().length} cores meanwhile`);
    progress(sectionLoads.at(-1) as string);
  }
}

function sourceState(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = git('status', '--porcelain', '--', 'src').split('\n').filter((line) => line !== '').length;
    return `commit ${git('rev-parse', '--short', 'HEAD')}${changed > 0 ? `, with ${changed} uncommitted change${changed === 1 ? '' : 's'} in src/` : ''}`;
  } catch {
    return 'commit unknown';
  }
}

// ------------------------------------------------------------------------------------------
// 1. Lookup hops in the simulator

const hopRuns: LookupRun[] = [];

function simulatorHops(): void {
  console.log(`1. Lookup hops, simulator (seed ${seed}): ${SIM_LOOKUPS.toLocaleString('en')} lookups per ring, half Store, half Request, each from a random peer for a random file name`);
  for (const peers of SIM_SIZES) {
    for (const fingers of [false, true]) {
      progress(`simulator: ${peers} peers, finger tables ${fingers ? 'on' : 'off'}`);
      hopRuns.push(simulateLookups({ peers, fingers, lookups: SIM_LOOKUPS, seed }));
    }
  }
  console.log(
    table(
      ['peers', 'fingers', 'lookups', 'hops mean', 'p50', 'p95', 'max', 'log2 N', 'N/2', 'checks'],
      hopRuns.map((run) => {
        const all = [...run.hops.store, ...run.hops.request];
        const problems = run.wrongOwner + run.unfinished + run.notIdeal;
        return [
          String(run.peers),
          run.fingers ? 'on' : 'off',
          all.length.toLocaleString('en'),
          fixed(mean(all), 2),
          whole(percentile(all, 0.5)),
          whole(percentile(all, 0.95)),
          whole(Math.max(...all)),
          fixed(Math.log2(run.peers), 0),
          fixed(run.peers / 2, 0),
          problems === 0 ? 'all ideal, all at the owner' : `${run.notIdeal} not ideal, ${run.wrongOwner} wrong owner, ${run.unfinished} unfinished`,
        ];
      }),
      0,
    ),
  );
  console.log('  hops: messages from the peer where it was typed to the file\'s owner (0: typed at the owner); the same for Store and Request.');
  console.log('  checks: each lookup\'s hops against the route the rules give on a perfect ring (first successors; with fingers, the farthest finger');
  console.log(`  before the file), and the final line's peer against the file's owner. Finger tables are complete before the first lookup.`);
  console.log('');
}

// ------------------------------------------------------------------------------------------
// 2. Lookup latency between real processes

interface RealLookup extends Lookup {
  readonly ms: number | undefined;
  hops: number;
  readonly ideal: number;
}

interface RealRun {
  readonly peers: number;
  readonly fingers: boolean;
  readonly lookups: RealLookup[];
  readonly startMs: number;
  readonly readyMs: number;
  readonly warmMs: number;
  readonly rssMb: number[];
  readonly falseAlarms: number;
  /** Started at the same time as the other ring of its size (--quick). */
  readonly together: boolean;
}

const realRuns: RealRun[] = [];
const notMeasured: string[] = [];
let peerMegabytes = PEER_MEGABYTES_GUESS;

/** The largest ring up to `wanted` that fits in free memory, with a reason when it is smaller. */
function fittingSize(wanted: number): { size: number; note?: string } {
  const freeMb = freemem() / 1_048_576;
  const fits = Math.floor((freeMb - MEMORY_RESERVE_MEGABYTES) / peerMegabytes);
  if (fits >= wanted) return { size: wanted };
  const note = `${wanted} real peers need about ${((wanted * peerMegabytes) / 1024).toFixed(1)} GB (${wanted} × ${Math.round(peerMegabytes)} MB) and ${(freeMb / 1024).toFixed(1)} GB of ${(totalmem() / 1_073_741_824).toFixed(1)} GB are free (${(MEMORY_RESERVE_MEGABYTES / 1024).toFixed(0)} GB kept for the rest of the machine)`;
  return { size: Math.max(0, fits), note };
}

async function startRing(ring: Ring, fingers: boolean, intervalSeconds: number): Promise<{ real: RealRing; startMs: number; readyMs: number }> {
  const real = new RealRing({ ring, fingers, pingIntervalSeconds: intervalSeconds, progress });
  progress(`real: starting ${ring.size} p2p peers (finger tables ${fingers ? 'on' : 'off'}, pings every ${intervalSeconds} s)…`);
  const startMs = await real.start();
  progress(`real: ${ring.size} peers listen after ${(startMs / 1000).toFixed(1)} s; waiting until each has heard its predecessor's ping…`);
  const ready = await real.until(() => real.notReady().length === 0, (intervalSeconds + 30) * 1000);
  const readyMs = performance.now() - real.startedAt;
  if (!ready) {
    throw new Error(
      `peers ${real.notReady().join(', ')} heard no ping from their predecessor within ${intervalSeconds + 30} s of the start; ${describeDeclarations(real)}`,
    );
  }
  const wrong = real.wrongSuccessors(ring);
  if (wrong.length > 0 || real.declarations().length > 0) {
    throw new Error(`the ring did not come up whole: peers ${wrong.join(', ')} have other successors; ${describeDeclarations(real)}`);
  }
  progress(`real: every peer knows its predecessor ${(readyMs / 1000).toFixed(1)} s after the start`);
  return { real, startMs, readyMs };
}

/** "no longer alive" lines while the ring started: a peer's successors took longer to listen than it waits for them. */
function describeDeclarations(real: RealRing): string {
  const lines = real.declarations();
  if (lines.length === 0) return 'no "no longer alive" lines';
  return `${lines.map((line) => `${line.peer} said ${line.subject} is no longer alive ${fixed((line.at - real.startedAt) / 1000)} s after the start`).join('; ')} (its successor started too late: the machine is busy)`;
}

/** One lookup typed at its origin: the milliseconds until its last line (undefined: none within the timeout). */
async function timeLookup(real: RealRing, lookup: Lookup): Promise<number | undefined> {
  const owner = real.ring.owner(fileHash(lookup.file));
  const last =
    lookup.operation === 'store'
      ? { peer: owner, text: `Store ${lookup.file} request accepted` }
      : { peer: lookup.origin, text: owner === lookup.origin ? `File ${lookup.file} is stored here` : `File ${lookup.file} received` };
  const seen = real.next((said) => said.peer === last.peer && said.text === last.text, LOOKUP_TIMEOUT_MS);
  const typedAt = performance.now();
  real.peers.get(lookup.origin)?.type(`${lookup.operation === 'store' ? 'Store' : 'Request'} ${lookup.file}`);
  const said = await seen;
  return said === undefined ? undefined : said.at - typedAt;
}

async function timeLookups(real: RealRing, lookups: readonly Lookup[], fingers: boolean): Promise<RealLookup[]> {
  const timed: RealLookup[] = [];
  for (const lookup of lookups) {
    const ms = await timeLookup(real, lookup);
    timed.push({ ...lookup, ms, hops: -1, ideal: idealHops(real.ring, fingers, lookup.origin, fileHash(lookup.file)) });
  }
  // A hop's line may reach this process a moment after the last line (another pipe).
  await sleep(300);
  for (const lookup of timed) lookup.hops = real.hopLines.get(lookup.file) ?? 0;
  return timed;
}

/**
 * Rounds of 32 Stores until one round takes the ideal finger routes throughout (the tables are
 * complete), or `timeoutMs`. Returns the milliseconds from the ring's start.
 */
async function warmFingers(real: RealRing, random: RandomStream, timeoutMs: number): Promise<number> {
  const from = performance.now();
  for (let round = 0; performance.now() - from < timeoutMs; round++) {
    // Names of their own: never a measured lookup's, never an earlier round's (hops are counted by name).
    const names = fileNames(96, random.derive(`warm-files/${round}`)).filter((name) => !reserved.has(name)).slice(0, 32);
    for (const name of names) reserved.add(name);
    const lookups = randomLookups(real.ring, names.length, random.derive(`warm/${round}`), names).map((lookup) => ({ ...lookup, operation: 'store' as const }));
    const timed = await timeLookups(real, lookups, true);
    const off = timed.filter((lookup) => lookup.ms === undefined || lookup.hops !== lookup.ideal).length;
    if (off === 0) return performance.now() - real.startedAt;
    await sleep(1000);
  }
  progress(`real: some finger routes were still not ideal after ${timeoutMs / 1000} s of warm-up; measuring anyway`);
  return performance.now() - real.startedAt;
}

/** File names used so far in a ring (a lookup's hops are counted by its file name). */
const reserved = new Set<string>();

interface RealRepair {
  readonly victim: number;
  readonly detectFirstMs: number | undefined;
  readonly detectLastMs: number | undefined;
  readonly repairedMs: number | undefined;
}
const realRepairs: { peers: number; intervalSeconds: number; samples: RealRepair[]; falseAlarms: number; ringWrong: number }[] = [];

async function realRepair(real: RealRing): Promise<void> {
  const ring = real.ring;
  const count = Math.min(REAL_KILLS, Math.floor(ring.size / 5));
  const step = ring.size / count;
  const offset = RandomStream.root(`${seed}/real-kills`).index(Math.floor(step));
  const victims = Array.from({ length: count }, (_, index) => ring.identities[Math.floor(offset + index * step)] as number);
  let after = ring;
  for (const victim of victims) after = after.without(victim);
  const right = (peer: number): boolean => {
    const state = real.peers.get(peer);
    return state !== undefined && state.first === after.at(peer, 1) && state.second === after.at(peer, 2);
  };
  const intervalTicks = ticksFromSeconds(REAL_INTERVAL_SECONDS);
  const boundMs = detectionTicksMax({ ...DHT_DEFAULTS, pingIntervalTicks: intervalTicks }) * TICK_MS_DEFAULT;
  progress(`real: SIGKILL of peers ${victims.join(', ')} at once (far apart); waiting for their predecessors to repair (bound ${boundMs / 1000} s)…`);
  const killedAt = new Map<number, number>();
  for (const victim of victims) killedAt.set(victim, real.peers.get(victim)?.kill() as number);
  const repairedAt = new Map<number, number>();
  const check = (): boolean => {
    for (const victim of victims) {
      if (!repairedAt.has(victim) && right(ring.at(victim, -1)) && right(ring.at(victim, -2))) repairedAt.set(victim, performance.now());
    }
    return repairedAt.size === victims.length;
  };
  await real.until(check, boundMs + 30_000);
  // Other peers settle (a second predecessor's second successor) within a round.
  await real.until(() => real.wrongSuccessors(after).length === 0, 5000);
  const declarations = real.declarations();
  const samples = victims.map((victim) => {
    const at = killedAt.get(victim) as number;
    const detections = declarations.filter((line) => line.subject === victim).map((line) => line.at - at);
    const repaired = repairedAt.get(victim);
    return {
      victim,
      detectFirstMs: detections.length > 0 ? Math.min(...detections) : undefined,
      detectLastMs: detections.length >= 2 ? Math.max(...detections) : undefined,
      repairedMs: repaired === undefined ? undefined : repaired - at,
    };
  });
  for (const sample of samples) {
    progress(`real: peer ${sample.victim}: first "no longer alive" after ${fixed((sample.detectFirstMs ?? NaN) / 1000)} s, both predecessors repaired after ${fixed((sample.repairedMs ?? NaN) / 1000)} s`);
  }
  realRepairs.push({
    peers: ring.size,
    intervalSeconds: REAL_INTERVAL_SECONDS,
    samples,
    falseAlarms: declarations.filter((line) => !victims.includes(line.subject)).length,
    ringWrong: real.wrongSuccessors(after).length,
  });
}

async function realLatency(): Promise<void> {
  console.log(`2. Lookup latency, real ringside p2p processes on loopback (${cpus().length} cores): from typing the line on the peer's standard input to the last line`);
  for (const size of SIM_SIZES.filter((size) => !realSizes.includes(size))) {
    const { note } = fittingSize(size);
    const line = `${size} real peers: ${note ?? (values.real === undefined ? `not run with --quick (${realSizes.join(', ')} real peers)` : 'not asked for (--real)')}: modeled from the simulator's hops and the per-hop latency measured between real peers`;
    console.log(`  ${line}.`);
    notMeasured.push(line);
  }
  for (const wanted of realSizes) {
    const { size, note } = fittingSize(wanted);
    if (note !== undefined) {
      const line = size >= 8 ? `${note}: measuring ${size} real peers instead` : `${note}: not measured with real processes`;
      console.log(`  ${line}.`);
      progress(line);
      notMeasured.push(`real ${wanted}: ${line}`);
      if (size < 8) continue;
    }
    const ring = new Ring(ringOf(size, `${seed}/ring/${size}`));
    const random = RandomStream.root(`${seed}/real-lookups/${size}`);
    const plans = [false, true].map((fingers) => {
      const names = fileNames(2 * REAL_LOOKUPS, random.derive(`files/${fingers}`));
      for (const name of names) reserved.add(name);
      return { fingers, lookups: randomLookups(ring, 2 * REAL_LOOKUPS, random.derive(`lookups/${fingers}`), names) };
    });
    // --quick starts both rings at once: the finger ring's tables complete while the other ring is
    // measured (a finger lookup lost while the ring starts is tried again only 25.6 s later).
    const together = quick && fittingSize(2 * size).note === undefined;
    const started = together ? await Promise.all(plans.map((plan) => startRing(ring, plan.fingers, REAL_INTERVAL_SECONDS))) : [];
    for (const [index, plan] of plans.entries()) {
      const { real, startMs, readyMs } = started[index] ?? (await startRing(ring, plan.fingers, REAL_INTERVAL_SECONDS));
      try {
        real.writeFiles(plan.lookups.filter((lookup) => lookup.operation === 'request').map((lookup) => lookup.file), REQUEST_FILE_BYTES);
        const warmMs = plan.fingers ? await warmFingers(real, random.derive('warm'), 60_000) : 0;
        if (plan.fingers) progress(`real: finger routes ideal ${(warmMs / 1000).toFixed(1)} s after the start`);
        progress(`real: ${plan.lookups.length} lookups, one at a time…`);
        const timed = await timeLookups(real, plan.lookups, plan.fingers);
        const rss = real.rssKb().map((kb) => kb / 1024);
        peerMegabytes = Math.max(peerMegabytes, ...rss);
        realRuns.push({ peers: size, fingers: plan.fingers, lookups: timed, startMs, readyMs, warmMs, rssMb: rss, falseAlarms: real.declarations().length, together });
        const store = timed.filter((lookup) => lookup.operation === 'store' && lookup.ms !== undefined).map((lookup) => lookup.ms as number);
        progress(`real: Store p50 ${fixed(percentile(store, 0.5))} ms, p95 ${fixed(percentile(store, 0.95))} ms`);
        if (!plan.fingers) await realRepair(real);
      } finally {
        await real.close();
      }
    }
  }
  printLatency();
}

function printLatency(): void {
  const rows: string[][] = [];
  const row = (source: string, peers: number, fingers: boolean, operation: Operation, hops: readonly number[], ms: readonly number[], checks: string): string[] => [
    source,
    String(peers),
    fingers ? 'on' : 'off',
    operation === 'store' ? 'Store' : 'Request',
    String(ms.length),
    fixed(mean(hops), 1),
    fixed(percentile(ms, 0.5)),
    fixed(percentile(ms, 0.95)),
    fixed(ms.length === 0 ? undefined : Math.max(...ms)),
    checks,
  ];
  // Per-hop latency and fixed cost from the real lookups of the largest real ring, both rings together.
  const largest = Math.max(0, ...realRuns.map((run) => run.peers));
  const models = new Map<Operation, ReturnType<typeof fit>>();
  for (const operation of ['store', 'request'] as const) {
    const points = realRuns
      .filter((run) => run.peers === largest)
      .flatMap((run) => run.lookups.filter((lookup) => lookup.operation === operation && lookup.ms !== undefined).map((lookup) => ({ x: lookup.hops, y: lookup.ms as number })));
    models.set(operation, fit(points));
  }
  for (const run of realRuns) {
    for (const operation of ['store', 'request'] as const) {
      const lookups = run.lookups.filter((lookup) => lookup.operation === operation);
      const done = lookups.filter((lookup) => lookup.ms !== undefined);
      const off = lookups.filter((lookup) => lookup.hops !== lookup.ideal).length;
      const lost = lookups.length - done.length;
      rows.push(row('real', run.peers, run.fingers, operation, done.map((lookup) => lookup.hops), done.map((lookup) => lookup.ms as number), `${off === 0 ? 'hops ideal' : `${off} not ideal`}${lost > 0 ? `, ${lost} timed out` : ''}`));
    }
  }
  const realPeers = new Set(realRuns.map((run) => run.peers));
  for (const run of hopRuns) {
    const modeled = realPeers.has(run.peers) ? `model (check)` : 'modeled';
    if (largest === 0) break;
    for (const operation of ['store', 'request'] as const) {
      const model = models.get(operation);
      if (model === undefined) continue;
      const hops = run.hops[operation];
      // Each simulated lookup: fixed + hops × per hop + the residual of a real lookup drawn at random.
      const jitter = RandomStream.root(`${seed}/model/${run.peers}/${run.fingers}/${operation}`);
      const ms = hops.map((count) => Math.max(0, model.a + model.b * count + (model.residuals[jitter.index(model.residuals.length)] as number)));
      rows.push(row(modeled, run.peers, run.fingers, operation, hops, ms, `simulator's hops; per-hop model`));
    }
  }
  console.log(table(['source', 'peers', 'fingers', 'op', 'lookups', 'hops mean', 'p50 ms', 'p95 ms', 'max ms', 'notes'], rows, 0));
  for (const [operation, model] of models) {
    if (model === undefined) continue;
    console.log(
      `  ${operation === 'store' ? 'Store' : 'Request'}: ${model.b.toFixed(3)} ms per hop + ${model.a.toFixed(1)} ms fixed (Theil–Sen over the ${largest}-peer rings' ${model.residuals.length} lookups, both rings; residuals p5 ${fixed(percentile(model.residuals, 0.05))}, p95 +${fixed(percentile(model.residuals, 0.95))} ms)`,
    );
  }
  for (const run of realRuns) {
    console.log(
      `  ${run.peers} real peers, fingers ${run.fingers ? 'on' : 'off'}: listening after ${fixed(run.startMs / 1000)} s, every predecessor known after ${fixed(run.readyMs / 1000)} s${run.fingers ? `, finger routes ideal after ${fixed(run.warmMs / 1000)} s` : ''}${run.together ? ' (both rings started at once)' : ''}; RSS per peer ${whole(percentile(run.rssMb, 0.5))} MB median (${whole(Math.min(...run.rssMb))}–${whole(Math.max(...run.rssMb))}), ${fixed(run.rssMb.reduce((sum, mb) => sum + mb, 0) / 1024, 1)} GB in all${run.falseAlarms > 0 ? `; ${run.falseAlarms} "no longer alive" lines while all were up` : ''}`,
    );
  }
  console.log(`  Store ends at the owner's "Store NNNN request accepted"; Request at the requester's "File NNNN received" (the ${REQUEST_FILE_BYTES}-byte file sent`);
  console.log('  straight from the holder on a connection of its own, saved and renamed), or "File NNNN is stored here" when typed at the holder.');
  console.log(`  Lookups one at a time, Store and Request alternately, from random peers for random files; pings every ${REAL_INTERVAL_SECONDS} s meanwhile.`);
  console.log('  hops: the hop lines the peers printed for that file; "hops ideal": each equal to the perfect ring\'s route. With fingers, warm-up');
  console.log('  Stores ran first until a round of 32 took the ideal routes. modeled: a ring not run as real processes (memory); each of the');
  console.log("  simulator's lookups for that ring takes fixed ms + its hops × ms per hop (above) + the residual of a real lookup drawn at random");
  console.log('  (the real jitter, load included). "model (check)": the same model for the ring that was run for real, to compare with its row.');
  console.log('');
}

// ------------------------------------------------------------------------------------------
// 3. Repair after an abrupt departure

const repairRuns: RepairRun[] = [];

function simulatorRepair(): void {
  for (const peers of Object.keys(REPAIR_SAMPLES).map(Number)) {
    progress(`simulator: ${REPAIR_SAMPLES[peers]} kills in rings of ${peers}`);
    repairRuns.push(simulateRepairs({ peers, samples: REPAIR_SAMPLES[peers] as number, seed }));
  }
}

function printRepair(): void {
  const config = DHT_DEFAULTS;
  const tickS = TICK_MS_DEFAULT / 1000;
  console.log(
    `3. Repair after an abrupt departure (SIGKILL): defaults ping every ${config.pingIntervalTicks * tickS} s, a ping lost after ${config.pingTimeoutTicks * tickS} s, gone after ${config.lostPingsMax} lost in a row`,
  );
  const rows: string[][] = [];
  for (const run of repairRuns) {
    const seconds = (ticks: readonly (number | undefined)[]): number[] => ticks.filter((tick): tick is number => tick !== undefined).map((tick) => tick * tickS);
    const repaired = seconds(run.samples.map((sample) => sample.repaired));
    const detect = seconds(run.samples.map((sample) => sample.detectFirst));
    const missing = run.samples.length - repaired.length;
    const falseAlarms = run.samples.reduce((sum, sample) => sum + sample.falseAlarms, 0);
    rows.push([
      `simulator (seed ${seed})`,
      String(run.peers),
      `${config.pingIntervalTicks * tickS} s`,
      String(run.samples.length),
      fixed(percentile(detect, 0.5)),
      fixed(percentile(repaired, 0.5)),
      fixed(percentile(repaired, 0.95)),
      `${fixed(Math.min(...repaired))}–${fixed(Math.max(...repaired))}`,
      `${repaired.filter((value) => value <= 60).length}/${run.samples.length}`,
      [missing > 0 ? `${missing} not repaired` : '', falseAlarms > 0 ? `${falseAlarms} false alarms` : '', run.ringsWrong > 0 ? `${run.ringsWrong} rings wrong after` : ''].filter((text) => text !== '').join(', ') || 'ring whole after each',
    ]);
  }
  for (const run of realRepairs) {
    const repaired = run.samples.flatMap((sample) => (sample.repairedMs === undefined ? [] : [sample.repairedMs / 1000]));
    const detect = run.samples.flatMap((sample) => (sample.detectFirstMs === undefined ? [] : [sample.detectFirstMs / 1000]));
    rows.push([
      'real processes',
      String(run.peers),
      `${run.intervalSeconds} s`,
      String(run.samples.length),
      fixed(percentile(detect, 0.5)),
      fixed(percentile(repaired, 0.5)),
      '—',
      repaired.length === 0 ? '—' : `${fixed(Math.min(...repaired))}–${fixed(Math.max(...repaired))}`,
      `${repaired.filter((value) => value <= 60).length}/${run.samples.length}`,
      `each: ${run.samples.map((sample) => fixed((sample.repairedMs ?? NaN) / 1000)).join(', ')} s${run.falseAlarms > 0 ? `; ${run.falseAlarms} false alarms` : ''}${run.ringWrong > 0 ? `; ${run.ringWrong} peers wrong after` : ''}`,
    ]);
  }
  console.log(table(['where', 'peers', 'interval', 'kills', 'detect s p50', 'repaired s p50', 'p95', 'range s', '≤ 60 s', 'notes'], rows, 1));
  const boundTicks = detectionTicksMax(config);
  console.log(`  detect: SIGKILL until the first predecessor says "Peer V is no longer alive"; repaired: until both predecessors hold the right two`);
  console.log(`  successors (their "My new … successor" lines). Bound at the defaults (config.ts): detection ≤ interval + lost pings × timeout =`);
  console.log(`  ${boundTicks} ticks = ${boundTicks * tickS} s after the victim's last answer, then one round trip to the next peer; the spec asks for 60 s.`);
  console.log('  In the simulator each peer starts at a random moment within one interval (ping rounds out of step, as real peers\' are), the kill');
  console.log('  comes at a random moment three intervals on, and a message takes one 100 ms tick. Real: peers killed at once, far apart round the');
  console.log(`  ring, so each repair is its own${quick ? `; --quick pings every ${REAL_INTERVAL_SECONDS} s (bound ${detectionTicksMax({ ...config, pingIntervalTicks: ticksFromSeconds(REAL_INTERVAL_SECONDS) }) * tickS} s), not the default ${DEFAULT_INTERVAL_SECONDS} s` : ''}.`);
  console.log('');
}

// ------------------------------------------------------------------------------------------

let failed = false;
try {
  const idle = cpuSnapshot();
  await sleep(1000);
  const busyBefore = othersShare(idle, cpuSnapshot());
  console.log(`Ringside DHT benchmark${quick ? ' (--quick)' : ''}: ${new Date().toISOString()}, ${cpus().length} cores, Node ${process.version}, seed ${seed}`);
  console.log(
    `  Source: ${sourceState()}. Load average ${load()} (1/5/15 min); other processes' CPU just before: ${(busyBefore * 100).toFixed(0)} % of the machine; memory free ${(freemem() / 1_073_741_824).toFixed(1)} of ${(totalmem() / 1_073_741_824).toFixed(1)} GB.`,
  );
  if (busyBefore > 0.1 || (loadavg()[0] ?? 0) > cpus().length / 2) console.log('  Other processes are busy on this machine: real-process latencies are higher than on an idle one.');
  console.log('');
  await section('simulator hops', simulatorHops);
  await section('real processes', realLatency);
  await section('simulator repair', simulatorRepair);
  printRepair();
} catch (error) {
  failed = true;
  console.log(`\nThe benchmark stopped: ${(error as Error).stack ?? String(error)}`);
} finally {
  await closeAll();
}
for (const line of notMeasured) console.log(`Not measured: ${line}`);
console.log(`Load: ${sectionLoads.join('; ')}.`);
console.log(`${((Date.now() - began) / 1000).toFixed(0)} s in all.`);
process.exitCode = failed ? 1 : 0;
