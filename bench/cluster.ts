/**
 * `npm run bench:cluster`: real Ringside peer processes against the baselines they are meant to
 * match, all measured in the same run on this machine.
 *
 *   1. Membership: Ringside SWIM peers next to HashiCorp Serf agents (LAN profile; both probe
 *      every 1 s): time until 10 and 30 members all see each other alive, failure detection
 *      after a SIGKILL (until every surviving view says failed), and false positives over a
 *      quiet window, at 0 % and 10 % message loss.
 *   2. Key-value: redis-benchmark SET/GET at 1 and 64 clients against a 5-peer cluster's Redis
 *      front (quorum writes and reads, N=3 W=2 R=2), a plain redis-server, and raw WebSocket
 *      round trips.
 *   3. Peers: start-up of 20 peers and memory per peer process, next to 20 Serf agents.
 *
 *   npm run bench:cluster                  everything (4 to 5 minutes on 2 idle cores)
 *   npm run bench:cluster -- --quick       15 s quiet windows, one kill per group, fewer requests (1.5 minutes)
 *   npm run bench:cluster -- --only kv     one or more sections: membership, kv, peers
 *
 * Tables go to standard output, progress to standard error. Every process started here (peers,
 * serf agents, redis-server, the echo server) is ended on the way out, Ctrl-C included.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchBegan, closeAll, closeAllOnSignals, cpuSnapshot, findOnPath, othersShare, progress, sleep } from './children.ts';
import { table } from './report.ts';
import { redisBenchmark, startRedisServer, webSocketRoundTrips, type BenchmarkRun, type LatencyFigures } from './kv-baselines.ts';
import { RingsideCluster } from './ringside.ts';
import { SerfCluster } from './serf.ts';
import { waitAllAlive, waitFailedEverywhere, type Declaration, type MembershipTarget } from './views.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string', multiple: true } } });
const quick = values.quick;
const sections = new Set((values.only ?? ['membership,kv,peers']).flatMap((value) => value.split(',')).map((value) => value.trim()));
for (const section of sections) {
  if (!['membership', 'kv', 'peers'].includes(section)) throw new Error(`--only: no section ${section} (membership, kv, peers)`);
}

const QUIET_MS = quick ? 15_000 : 60_000;
const KILLS = quick ? 1 : 3;
const LOSS = 0.1;
const DETECTION_TIMEOUT_MS = 60_000;
const CONVERGE_TIMEOUT_MS = 60_000;
const SETTLE_MS = quick ? 1000 : 2000;
const KV_REQUESTS = { 1: quick ? 2_000 : 10_000, 64: quick ? 20_000 : 100_000 } as const;

const began = benchBegan;
/** The commit the peers run, and whether src/ differs from it (the peers run the working tree). */
function sourceState(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = git('status', '--porcelain', '--', 'src').split('\n').filter((line) => line !== '').length;
    return `commit ${git('rev-parse', '--short', 'HEAD')}${changed > 0 ? `, with ${changed} uncommitted change${changed === 1 ? '' : 's'} in src/` : ''}`;
  } catch {
    return 'commit unknown (no git, or not a checkout)';
  }
}

// ------------------------------------------------------------------------------------------
// Cleanup on every way out

closeAllOnSignals();

// ------------------------------------------------------------------------------------------
// Tools

const serf = findOnPath('serf');
const redisServer = findOnPath('redis-server');
const redisBench = findOnPath('redis-benchmark');
const missing: string[] = [];
if (serf === undefined) missing.push("serf not found: install Debian's serf package (apt-get install serf) — skipping the Serf baselines");
if (redisBench === undefined) missing.push("redis-benchmark not found: install Debian's redis-tools package (apt-get install redis-tools) — skipping the key-value benchmark");
else if (redisServer === undefined) missing.push("redis-server not found: install Debian's redis-server package (apt-get install redis-server) — skipping the redis-server baseline");
if (findOnPath('redis-cli') === undefined && redisBench !== undefined) missing.push('redis-cli not found: error replies are not counted');

// ------------------------------------------------------------------------------------------
// Formatting

interface Verdict {
  readonly target: string;
  /** Undefined: not measured. */
  readonly met: boolean | undefined;
  readonly figure: string;
}
const verdicts: Verdict[] = [];
function verdict(target: string, met: boolean | undefined, figure: string): string {
  verdicts.push({ target, met, figure });
  return met === undefined ? 'not measured' : met ? 'met' : 'MISSED';
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const seconds = (ms: number | undefined, digits = 2): string => (ms === undefined || !Number.isFinite(ms) ? '—' : (ms / 1000).toFixed(digits));
const ms = (value: number | undefined, digits = 3): string => (value === undefined ? '—' : value.toFixed(digits));
const count = (value: number | undefined): string => (value === undefined ? '—' : Math.round(value).toLocaleString('en'));
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);
const megabytes = (kb: number | undefined): string => (kb === undefined ? '—' : (kb / 1024).toFixed(0));
const percent = (loss: number): string => `${Math.round(loss * 100)} %`;

// ------------------------------------------------------------------------------------------
// 1. Membership

interface GroupResult {
  readonly target: MembershipTarget;
  readonly label: string;
  readonly loss: number;
  spawnMs?: number;
  allAliveMs?: number;
  /** Per kill: when the first and the last surviving view said failed (ms after the SIGKILL); undefined: not within the timeout. */
  readonly detections: ({ first: number; last: number } | undefined)[];
  readonly rejoinMs: (number | undefined)[];
  /** Live members declared failed during the quiet window, and during the kill rounds. */
  quiet: Declaration[];
  readonly duringKills: Declaration[];
  note?: string;
}

function newResult(target: MembershipTarget, loss: number): GroupResult {
  return { target, label: `${target.system} ${target.size}${loss > 0 ? ` at ${percent(loss)} loss` : ''}`, loss, detections: [], rejoinMs: [], quiet: [], duringKills: [] };
}

async function startGroup(result: GroupResult, start: () => Promise<number>): Promise<void> {
  const startedAt = Date.now();
  result.spawnMs = await start();
  if (result.target instanceof RingsideCluster && result.target.startProblem !== undefined) {
    result.note = `start() failed (${result.target.startProblem}); the missing peers were added afterwards`;
    progress(`${result.label}: ${result.note}`);
  }
  const allAlive = await waitAllAlive(result.target, CONVERGE_TIMEOUT_MS);
  result.allAliveMs = allAlive === undefined ? undefined : allAlive - startedAt;
  progress(`${result.label}: processes up in ${seconds(result.spawnMs)} s, all alive in every view ${allAlive === undefined ? `NOT within ${CONVERGE_TIMEOUT_MS / 1000} s` : `after ${seconds(result.allAliveMs)} s`}`);
}

async function quietWindow(results: readonly GroupResult[]): Promise<void> {
  const from = Date.now();
  progress(`quiet window: ${QUIET_MS / 1000} s with no kills (${results.map((result) => result.label).join(', ')})`);
  for (let waited = 0; waited < QUIET_MS; waited += 15_000) {
    await sleep(Math.min(15_000, QUIET_MS - waited));
    if (waited + 15_000 < QUIET_MS) progress(`  quiet window: ${(waited + 15_000) / 1000} s of ${QUIET_MS / 1000} s`);
  }
  const to = Date.now();
  for (const result of results) {
    result.quiet = result.target.book.declarations.filter((declaration) => declaration.at >= from && declaration.at <= to);
    if (result.quiet.length > 0) progress(`  ${result.label}: ${describeFalsePositives(result.quiet)} declared failed while alive`);
  }
}

/** Kill, time the detection, restart, wait until everyone is back: `KILLS` times. */
async function killRounds(result: GroupResult, phase: number): Promise<void> {
  const target = result.target;
  for (let round = 0; round < KILLS; round++) {
    const ids = target.ids();
    const victim = ids[3 + ((round * 3 + phase) % (ids.length - 3))] as string;
    const killedAt = await target.kill(victim);
    const detected = await waitFailedEverywhere(target, victim, killedAt, DETECTION_TIMEOUT_MS);
    const detection = detected === undefined ? undefined : { first: detected.first - killedAt, last: detected.last - killedAt };
    result.detections.push(detection);
    const restartAt = Date.now();
    await target.restart(victim);
    const back = await waitAllAlive(target, CONVERGE_TIMEOUT_MS);
    result.rejoinMs.push(back === undefined ? undefined : back - restartAt);
    // Anyone declared failed in this round but the victim while it was down is a false positive.
    for (const declaration of target.book.declarations) {
      if (declaration.at < killedAt || declaration.at > (back ?? Date.now())) continue;
      if (declaration.subject === victim && declaration.at < restartAt) continue;
      result.duringKills.push(declaration);
    }
    progress(
      `${result.label}: kill ${round + 1}/${KILLS} (${victim}): ${detection === undefined ? `NOT detected by every view within ${DETECTION_TIMEOUT_MS / 1000} s` : `first view ${seconds(detection.first)} s, every view ${seconds(detection.last)} s`}; back in every view ${back === undefined ? 'NOT within the timeout' : `after ${seconds(back - restartAt)} s`}`,
    );
  }
}

function describeFalsePositives(declarations: readonly Declaration[]): string {
  if (declarations.length === 0) return '0';
  const subjects = new Set(declarations.map((declaration) => declaration.subject));
  return `${subjects.size} (${declarations.length} view${declarations.length === 1 ? '' : 's'})`;
}

const detectionMedian = (result: GroupResult | undefined): number | undefined => {
  if (result === undefined || result.detections.length === 0) return undefined;
  return median(result.detections.map((detection) => detection?.last ?? Infinity));
};

async function membership(): Promise<void> {
  console.log(`Membership (${cpus().length} cores, Node ${process.version}): probe every 1 s (Ringside SWIM defaults at 100 ms ticks; Serf's LAN profile)`);
  const results: GroupResult[] = [];
  const open: { close(): Promise<void> }[] = [];
  let relayNote = '';
  try {
    // Phase 1, no loss. One group at a time starts (start-up is timed); then all run side by side.
    const ringside = [10, 30].map((size) => new RingsideCluster(size, { redis: false }));
    open.push(...ringside);
    const phase1 = ringside.map((cluster) => newResult(cluster, 0));
    for (const [index, cluster] of ringside.entries()) await startGroup(phase1[index] as GroupResult, () => cluster.start());
    if (serf !== undefined) {
      for (const size of [10, 30]) {
        const cluster = new SerfCluster(`serf${size}`, size);
        open.push(cluster);
        const result = newResult(cluster, 0);
        phase1.push(result);
        await startGroup(result, () => cluster.start());
      }
    }
    results.push(...phase1);
    await quietWindow(phase1);
    progress(`failure detection: ${KILLS} SIGKILL${KILLS === 1 ? '' : 's'} per group, each restarted once every view says failed`);
    await Promise.all(phase1.map((result) => killRounds(result, 0)));
    for (const result of phase1) if (result.target.system === 'Serf') await result.target.close();

    // Phase 2, 10 % loss: the same Ringside groups, with loss injected in their transports; Serf
    // groups behind lossy relays (no netem on this kernel, and it would need root).
    const phase2 = ringside.map((cluster) => newResult(cluster, LOSS));
    for (const cluster of ringside) await cluster.setLoss(LOSS);
    progress(`Ringside: ${percent(LOSS)} loss injected in every peer's transport`);
    const serfLossy: SerfCluster[] = [];
    if (serf !== undefined) {
      for (const size of [10, 30]) {
        const cluster = new SerfCluster(`serf${size}-lossy`, size, { relayed: true, loss: LOSS });
        open.push(cluster);
        serfLossy.push(cluster);
        const result = newResult(cluster, LOSS);
        phase2.push(result);
        await startGroup(result, () => cluster.start());
      }
    }
    results.push(...phase2);
    await quietWindow(phase2);
    progress(`failure detection at ${percent(LOSS)} loss`);
    await Promise.all(phase2.map((result) => killRounds(result, 1)));
    const relays = serfLossy.map((cluster) => cluster.relayCounters());
    const dropped = relays.reduce((sum, relay) => sum + relay.dropped, 0);
    const total = relays.reduce((sum, relay) => sum + relay.dropped + relay.forwarded, 0);
    if (total > 0) relayNote = `(its relays dropped ${dropped.toLocaleString('en')} of ${total.toLocaleString('en')} UDP datagrams, ${((100 * dropped) / total).toFixed(1)} %)`;
  } finally {
    await Promise.allSettled(open.map((cluster) => cluster.close()));
  }

  console.log(
    table(
      ['group', 'peers', 'loss', 'spawned s', 'all alive s', 'detect s (median)', 'range s', 'first view s', 'kills', 'rejoin s', `FP quiet ${QUIET_MS / 1000}s`, 'FP kills'],
      results.map((result) => {
        const detected = result.detections.filter((detection) => detection !== undefined);
        const missedCount = result.detections.length - detected.length;
        const lasts = detected.map((detection) => detection.last);
        return [
          result.target.system,
          String(result.target.size),
          percent(result.loss),
          seconds(result.spawnMs),
          seconds(result.allAliveMs),
          seconds(detectionMedian(result)),
          lasts.length === 0 ? '—' : `${seconds(Math.min(...lasts))}–${seconds(Math.max(...lasts))}`,
          seconds(median(detected.map((detection) => detection.first))),
          `${detected.length}/${result.detections.length}${missedCount > 0 ? ' !' : ''}`,
          seconds(median(result.rejoinMs.filter((value): value is number => value !== undefined))),
          describeFalsePositives(result.quiet),
          describeFalsePositives(result.duringKills),
        ];
      }),
    ),
  );
  console.log('  spawned: until every process runs; all alive: from the start until every member sees every other alive (— : the group was already');
  console.log('  running); detect: SIGKILL until every surviving view says failed (Ringside `dead`, `serf members` `failed`); first view: until the');
  console.log('  first one does; rejoin: the killed member restarted until every view has it alive again; FP: live members declared failed');
  console.log('  (members, and in how many views) during the quiet window and during the kill rounds. The groups run side by side.');
  for (const result of results) if (result.note !== undefined) console.log(`  ${result.label}: ${result.note}.`);
  if (serf === undefined) console.log('  serf not found: no Serf baseline.');
  else {
    console.log(`  Serf at ${percent(LOSS)} loss: agents behind userland relays that drop ${percent(LOSS)} of UDP datagrams each way ${relayNote};`);
    console.log('  their TCP (push-pull, fallback ping) is relayed without loss. `tc netem` is not available in this kernel (qdisc kind unknown).');
  }

  console.log('');
  for (const loss of [0, LOSS]) {
    for (const size of [10, 30]) {
      const find = (system: string): GroupResult | undefined =>
        results.find((result) => result.target.system === system && result.target.size === size && result.loss === loss);
      const ours = detectionMedian(find('Ringside'));
      const theirs = detectionMedian(find('Serf'));
      const figure = `Ringside ${seconds(ours)} s vs Serf ${seconds(theirs)} s: ${ratio(ours, theirs)}`;
      if (loss === 0) {
        const met = ours === undefined || theirs === undefined || !Number.isFinite(theirs) ? undefined : ours <= 0.6 * theirs;
        console.log(`  Detection at ${size} peers, ${percent(loss)} loss: ${figure} (target ≤ 0.6×): ${verdict(`detection median ≤ 0.6 × Serf's, ${size} peers`, met, figure)}`);
      } else console.log(`  Detection at ${size} peers, ${percent(loss)} loss: ${figure}`);
    }
  }
  for (const result of results.filter((result) => result.target.system === 'Ringside' && result.loss === LOSS)) {
    const falsePositives = [...result.quiet, ...result.duringKills];
    const figure = `${describeFalsePositives(result.quiet)} in the quiet window, ${describeFalsePositives(result.duringKills)} during kills`;
    console.log(`  Ringside ${result.target.size} peers at ${percent(LOSS)} loss, live peers declared dead: ${figure}: ${verdict(`no live peer declared dead at ${percent(LOSS)} loss, ${result.target.size} peers`, falsePositives.length === 0, figure)}`);
  }
  console.log('');
}

// ------------------------------------------------------------------------------------------
// 2. Key-value

interface KvRow {
  readonly name: string;
  readonly test: string;
  readonly clients: number;
  readonly requests: number;
  readonly figures: LatencyFigures | undefined;
  readonly errors: number | undefined;
}

let kvRss: number[] = [];

async function keyValue(): Promise<void> {
  console.log('Key-value: redis-benchmark -t set,get -d 100 -r 10000 -n N -c C (Ringside: SET a quorum write W=2 of N=3, GET a quorum read R=2)');
  if (redisBench === undefined) {
    console.log('  redis-benchmark not found: install redis-tools — skipped.\n');
    return;
  }
  const rows: KvRow[] = [];
  const add = (name: string, clients: number, run: BenchmarkRun): void => {
    for (const test of ['SET', 'GET']) rows.push({ name, test, clients, requests: KV_REQUESTS[clients as 1 | 64], figures: run.tests.get(test), errors: run.errors });
    // Ringside's front answers CONFIG GET with nothing, which redis-benchmark warns about.
    const said = run.stderr.split('\n').filter((line) => line.trim() !== '' && !line.includes('Could not fetch server CONFIG'));
    if (said.length > 0) progress(`  redis-benchmark said: ${said.slice(0, 3).join(' | ')}`);
  };

  // Durable peers (the default: SQLite, one fsync per event-loop turn before replying) and
  // peers with their stores in memory, each a fresh cluster.
  for (const storage of ['disk', 'memory'] as const) {
    const name = `Ringside, 5 peers, ${storage === 'disk' ? 'durable' : 'in memory'}`;
    const cluster = new RingsideCluster(5, { storage });
    try {
      const startedAt = Date.now();
      await cluster.start();
      const allAlive = await waitAllAlive(cluster, CONVERGE_TIMEOUT_MS);
      const owning = await cluster.waitRingSettled(CONVERGE_TIMEOUT_MS);
      progress(`${name}: all alive after ${seconds(allAlive === undefined ? undefined : allAlive - startedAt)} s, every peer owning keys after ${seconds(owning === undefined ? undefined : owning - startedAt)} s`);
      const port = cluster.manager.peers()[0]?.redisPort as number;
      for (const clients of [1, 64] as const) {
        progress(`redis-benchmark → ${name}, peer 1 (port ${port}), -c ${clients} -n ${KV_REQUESTS[clients]}`);
        add(name, clients, await redisBenchmark(port, clients, KV_REQUESTS[clients]));
      }
      if (storage === 'disk') kvRss = cluster.rss();
    } finally {
      await cluster.close();
    }
  }

  if (redisServer !== undefined) {
    for (const appendfsync of [undefined, 'everysec', 'always'] as const) {
      const name = appendfsync === undefined ? 'redis-server' : `redis-server, appendfsync ${appendfsync}`;
      const { port, server } = await startRedisServer(appendfsync);
      try {
        for (const clients of [1, 64] as const) {
          progress(`redis-benchmark → ${name} (port ${port}), -c ${clients} -n ${KV_REQUESTS[clients]}`);
          add(name, clients, await redisBenchmark(port, clients, KV_REQUESTS[clients]));
        }
      } finally {
        await server.close();
      }
    }
  }

  for (const clients of [1, 64] as const) {
    progress(`raw WebSocket round trips, ${clients} in flight, ${KV_REQUESTS[clients]} requests`);
    const figures = await webSocketRoundTrips(clients, KV_REQUESTS[clients]);
    rows.push({ name: 'raw WebSocket', test: 'RTT', clients, requests: KV_REQUESTS[clients], figures, errors: undefined });
  }

  console.log(
    table(
      ['target', 'test', 'clients', 'requests', 'req/s', 'avg ms', 'min ms', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'],
      rows.map((row) => [
        row.name,
        row.test,
        String(row.clients),
        count(row.requests),
        count(row.figures?.rps),
        ms(row.figures?.avg),
        ms(row.figures?.min),
        ms(row.figures?.p50),
        ms(row.figures?.p95),
        ms(row.figures?.p99),
        ms(row.figures?.max),
        row.errors === undefined ? (row.name === 'raw WebSocket' ? '' : '?') : count(row.errors),
      ]),
      2,
    ),
  );
  console.log('  raw WebSocket: a ws echo server in its own process, one connection, 100-byte text frames, 1 or 64 requests in flight.');
  console.log('  durable: each peer keeps its store in SQLite (WAL, synchronous=FULL) and answers only after the turn\'s changes are on disk; in memory: --memory.');
  console.log('  A quorum write is two round trips (read R versions, then write W): the price of real-time order across coordinators (issue 11).');
  console.log('  errors: error replies the server counted during the run (INFO stats), SET and GET together.');
  if (redisServer === undefined) console.log('  redis-server not found: no redis-server baseline.');

  const find = (name: string, test: string, clients: number): LatencyFigures | undefined =>
    rows.find((row) => row.name === name && row.test === test && row.clients === clients)?.figures;
  console.log('');
  console.log(
    table(
      ['Ringside ÷ baseline', 'clients', 'req/s ÷ redis', 'p50 ÷ redis', 'p99 ÷ redis', 'req/s ÷ WS', 'p50 ÷ WS', 'p99 ÷ WS'],
      ['SET', 'GET'].flatMap((test) =>
        [1, 64].map((clients) => {
          const ours = find('Ringside, 5 peers, durable', test, clients);
          const redis = find('redis-server', test, clients);
          const ws = find('raw WebSocket', 'RTT', clients);
          return [test, String(clients), ratio(ours?.rps, redis?.rps), ratio(ours?.p50, redis?.p50), ratio(ours?.p99, redis?.p99), ratio(ours?.rps, ws?.rps), ratio(ours?.p50, ws?.p50), ratio(ours?.p99, ws?.p99)];
        }),
      ),
    ),
  );
  console.log('');
  const set64 = find('Ringside, 5 peers, durable', 'SET', 64);
  const set1 = find('Ringside, 5 peers, durable', 'SET', 1);
  const get1 = find('Ringside, 5 peers, durable', 'GET', 1);
  const setErrors = rows.find((row) => row.name === 'Ringside, 5 peers, durable' && row.clients === 64)?.errors;
  const throughputFigure = `${count(set64?.rps)} quorum writes/s at -c 64${setErrors ? ` (${count(setErrors)} error replies)` : ''}`;
  console.log(`  ≥ 15,000 quorum writes/s at -c 64: ${throughputFigure}: ${verdict('≥ 15,000 quorum writes/s at -c 64', set64 === undefined ? undefined : set64.rps >= 15_000 && !setErrors, throughputFigure)}`);
  const p99Figure = `SET p99 ${ms(set64?.p99)} ms at -c 64`;
  console.log(`  p99 ≤ 10 ms at -c 64: ${p99Figure}: ${verdict('quorum write p99 ≤ 10 ms at -c 64', set64 === undefined ? undefined : set64.p99 <= 10, p99Figure)}`);
  for (const [test, figures] of [['SET', set1], ['GET', get1]] as const) {
    const figure = `${test} p50 ${ms(figures?.p50)} ms at -c 1`;
    console.log(`  p50 ≤ 0.4 ms at -c 1 (${test}): ${figure}: ${verdict(`${test === 'SET' ? 'quorum write' : 'quorum read'} p50 ≤ 0.4 ms at -c 1`, figures === undefined ? undefined : figures.p50 <= 0.4, figure)}`);
  }
  console.log('');
}

// ------------------------------------------------------------------------------------------
// 3. Peers

async function peers(): Promise<void> {
  console.log('Peers: start-up of 20 and memory per process (VmRSS)');
  const rows: string[][] = [];
  const row = (name: string, processes: number, spawnMs: number | undefined, allAliveMs: number | undefined, rss: readonly number[]): string[] => [
    name,
    String(processes),
    seconds(spawnMs),
    seconds(allAliveMs),
    megabytes(median(rss)),
    megabytes(rss.length === 0 ? undefined : Math.min(...rss)),
    megabytes(rss.length === 0 ? undefined : Math.max(...rss)),
    megabytes(rss.length === 0 ? undefined : rss.reduce((sum, kb) => sum + kb, 0)),
  ];
  const measured: Record<string, { spawnMs?: number; allAliveMs?: number; rss: number[] }> = {};

  const ringside = new RingsideCluster(20);
  try {
    const startedAt = Date.now();
    const spawnMs = await ringside.start();
    const allAlive = await waitAllAlive(ringside, CONVERGE_TIMEOUT_MS);
    const allAliveMs = allAlive === undefined ? undefined : allAlive - startedAt;
    await sleep(SETTLE_MS); // past the join storm
    const rss = ringside.rss();
    measured['Ringside'] = { spawnMs, ...(allAliveMs !== undefined ? { allAliveMs } : {}), rss };
    progress(`Ringside 20 peers: start() took ${seconds(spawnMs)} s, all alive after ${seconds(allAliveMs)} s`);
    rows.push(row('Ringside peers (Redis front on)', 20, spawnMs, allAliveMs, rss));
  } finally {
    await ringside.close();
  }
  if (kvRss.length > 0) rows.push(row('Ringside, after the key-value run', kvRss.length, undefined, undefined, kvRss));
  if (serf !== undefined) {
    const agents = new SerfCluster('serf20', 20);
    try {
      const startedAt = Date.now();
      const spawnMs = await agents.start();
      const allAlive = await waitAllAlive(agents, CONVERGE_TIMEOUT_MS);
      const allAliveMs = allAlive === undefined ? undefined : allAlive - startedAt;
      await sleep(SETTLE_MS);
      const rss = agents.rss();
      measured['Serf'] = { spawnMs, ...(allAliveMs !== undefined ? { allAliveMs } : {}), rss };
      progress(`Serf 20 agents: up after ${seconds(spawnMs)} s, all alive after ${seconds(allAliveMs)} s`);
      rows.push(row('Serf agents', 20, spawnMs, allAliveMs, rss));
    } finally {
      await agents.close();
    }
  }
  console.log(table(['processes', 'count', 'start s', 'all alive s', 'RSS MB median', 'min', 'max', 'total MB'], rows));
  console.log('  start: `await manager.start(20)` (Serf: every agent running and joined); all alive: from the start until every view has every');
  console.log(`  member alive; RSS ${SETTLE_MS / 1000} s later.${kvRss.length > 0 ? ' "after the key-value run": the 5 peers that served redis-benchmark, holding its keys.' : ''}`);
  const ours = measured['Ringside'];
  const theirs = measured['Serf'];
  if (ours !== undefined && theirs !== undefined) {
    console.log(
      `  Ringside ÷ Serf: memory per process ${ratio(median(ours.rss), median(theirs.rss))}, start ${ratio(ours.spawnMs, theirs.spawnMs)}, all alive ${ratio(ours.allAliveMs, theirs.allAliveMs)}`,
    );
  }
  console.log('');
}

// ------------------------------------------------------------------------------------------

/** Other processes' share of the machine's CPU during each section. */
const contention: { name: string; share: number }[] = [];
async function section(name: string, run: () => Promise<void>): Promise<void> {
  const from = cpuSnapshot();
  try {
    await run();
  } finally {
    const share = othersShare(from, cpuSnapshot(), cpus().length);
    contention.push({ name, share });
    progress(`${name}: other processes used ${(share * 100).toFixed(0)} % of the machine's CPU meanwhile`);
  }
}

let failed = false;
try {
  const idle = cpuSnapshot();
  await sleep(1000);
  const busyBefore = othersShare(idle, cpuSnapshot(), cpus().length);
  console.log(`Ringside cluster benchmark${quick ? ' (--quick)' : ''}: ${new Date().toISOString()}, ${cpus().length} cores, Node ${process.version}`);
  console.log(`  Source: ${sourceState()}. Other processes' CPU use just before the run: ${(busyBefore * 100).toFixed(0)} % of the machine.`);
  if (busyBefore > 0.1) console.log('  Other processes are busy on this machine: the figures may be lower than on an idle one.');
  for (const line of missing) console.log(`  ${line}`);
  console.log('');
  if (sections.has('membership')) await section('membership', membership);
  if (sections.has('kv')) await section('key-value', keyValue);
  if (sections.has('peers')) await section('peers', peers);
} catch (error) {
  failed = true;
  console.log(`\nThe benchmark stopped: ${(error as Error).stack ?? String(error)}`);
} finally {
  await closeAll();
}

if (verdicts.length > 0) {
  console.log('Targets');
  console.log(table(['target', 'figure', 'result'], verdicts.map((entry) => [entry.target, entry.figure, entry.met === undefined ? 'not measured' : entry.met ? 'met' : 'MISSED']), 3));
  const missedCount = verdicts.filter((entry) => entry.met === false).length;
  const metCount = verdicts.filter((entry) => entry.met === true).length;
  console.log(`  ${metCount} met, ${missedCount} missed${verdicts.length - metCount - missedCount > 0 ? `, ${verdicts.length - metCount - missedCount} not measured` : ''}; ${((Date.now() - began) / 1000).toFixed(0)} s in all`);
}
if (contention.length > 0) {
  console.log(
    `CPU used by other processes while each section ran (share of all ${cpus().length} cores): ${contention.map((entry) => `${entry.name} ${(entry.share * 100).toFixed(0)} %`).join(', ')}${contention.some((entry) => entry.share > 0.1) ? ': the figures are lower than an idle machine would give' : ''}`,
  );
}
process.exitCode = failed ? 1 : 0;
