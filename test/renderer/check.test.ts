// @vitest-environment jsdom
/**
 * The Check view: the spec its form makes (and refuses), a real check's progress and Stop, and a
 * judged run: its verdict, mode, fault schedule, and each anomaly's sentence and timeline, whose
 * geometry is computed here again from the documented constants.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { CHECK_POLL_MS, useCheckStore } from '../../src/renderer/src/stores/check.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { CHECK_NUMBER_FIELDS, FIELD_RULES, checkFormProblems, defaultCheckForm, specOfForm, type CheckForm } from '../../src/renderer/src/lib/check-form.ts';
import { replayCommand, verdictOf } from '../../src/renderer/src/lib/check-run.ts';
import {
  BAR_HEIGHT,
  BAR_OFFSET,
  BAR_WIDTH_MIN,
  GUTTER_WIDTH,
  LABEL_CHARACTER_WIDTH,
  PADDING_FRACTION,
  PADDING_MS_MIN,
  RIGHT_PADDING,
  ROW_HEIGHT,
  TIMELINE_WIDTH,
  TOP_PADDING,
  operationLabel,
  timelineLayout,
} from '../../src/renderer/src/lib/check-timeline.ts';
import CheckView from '../../src/renderer/src/views/CheckView.vue';
import type { CheckStatus } from '../../src/shared/api/bridge.ts';
import type { FaultPeriod } from '../../src/shared/check/nemesis.ts';
import type { RegisterOperation } from '../../src/shared/check/register-history.ts';
import { checkSpecSchema, judgeRun, type CheckRun } from '../../src/shared/check/run.ts';
import { runSimulatedCheck } from '../../src/shared/check/sim-check.ts';
import { createFakeClient, fakePeer, fakeSession, type FakeClient } from './support/fake-client.ts';

let client: FakeClient;
let wrapper: VueWrapper | undefined;
beforeEach(() => {
  setActivePinia(createPinia());
  client = createFakeClient({ checkStatus: () => ({ state: 'idle', simulated: false }), startCheck: (_spec: unknown, simulated?: boolean) => ({ state: 'running', simulated: simulated ?? false }) });
  setClusterClient(client);
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  vi.useRealTimers();
});

async function mountView(): Promise<VueWrapper> {
  wrapper = mount(CheckView);
  await flushPromises();
  return wrapper;
}

async function type(view: VueWrapper, field: string, value: string): Promise<void> {
  await view.get(`[data-testid="check-${field}"]`).setValue(value);
}

/**
 * A small judged run: client 2 reads A after client 1's write of B was acknowledged (a stale
 * read), during a partition that began at 1.25 s; a second fault period lies outside the window.
 */
function staleReadRun(): CheckRun {
  const operations: RegisterOperation[] = [
    { id: 0, process: 0, kind: 'write', key: 'k', value: 'A', outcome: 'ok', invokeMs: 1000, completeMs: 1100 },
    { id: 1, process: 1, kind: 'write', key: 'k', value: 'B', outcome: 'ok', invokeMs: 1200, completeMs: 1300 },
    { id: 2, process: 2, kind: 'read', key: 'k', value: 'A', outcome: 'ok', invokeMs: 1400, completeMs: 1500 },
    { id: 3, process: 0, kind: 'read', key: 'j', outcome: 'info', invokeMs: 1150, completeMs: 1700, error: 'timeout' },
  ];
  const faults: FaultPeriod[] = [
    { startMs: 1250, endMs: 6000, faults: [{ kind: 'partition', shape: 'majority', sources: [0, 1], targets: [2, 3, 4], oneWay: false }] },
    { startMs: 8000, endMs: 9000, faults: [{ kind: 'kill', peer: 2 }] },
  ];
  const spec = checkSpecSchema.parse({ seed: 3, workload: { clients: 3 }, readQuorum: 1, writeQuorum: 1 });
  return judgeRun({ spec, driver: 'simulated', faults, history: { operations }, finalReadIds: [], stores: [], elapsedMs: 10_000, notes: [], replay: 'ringside check --sim --seed 3' }, { replicas: 3, readQuorum: 1, writeQuorum: 1 });
}

describe('the form', () => {
  test('starts from the schema’s defaults, simulated, and sends the spec it makes', async () => {
    const view = await mountView();
    expect((view.get('[data-testid="check-simulated"]').element as HTMLInputElement).checked).toBe(true);
    await type(view, 'clients', '3');
    await type(view, 'keys', '2');
    await type(view, 'durationSeconds', '10');
    await type(view, 'operationTimeoutSeconds', '1.5');
    await type(view, 'read', '60');
    await type(view, 'write', '40');
    await type(view, 'delete', '0');
    await type(view, 'intervalSeconds', '2');
    await type(view, 'lossPercent', '25');
    await type(view, 'seed', '42');
    await type(view, 'readQuorum', '1');
    await type(view, 'writeQuorum', '1');
    await type(view, 'clockSkewTicks', '5');
    await view.get('[data-testid="check-nemesis-kill"]').setValue(false);
    await view.get('[data-testid="check-nemesis-pause"]').setValue(false);
    await view.get('[data-testid="check-quorum"]').setValue('sloppy');
    await view.get('[data-testid="check-form"]').trigger('submit');
    await flushPromises();
    expect(client.calls.startCheck).toHaveBeenCalledTimes(1);
    const [spec, simulated] = client.calls.startCheck.mock.calls[0]!;
    expect(simulated).toBe(true);
    expect(spec).toEqual({
      peers: 5,
      protocol: 'swim',
      quorum: 'sloppy',
      tickMs: 100,
      seed: 42,
      clockSkewTicks: 5,
      readQuorum: 1,
      writeQuorum: 1,
      workload: { clients: 3, keys: 2, mix: { read: 60, write: 40, delete: 0 }, valueBytes: 8, rate: 100, durationMs: 10_000, operationTimeoutMs: 1500 },
      nemesis: { kinds: ['partition', 'loss'], intervalMs: 2000, loss: 0.25, combined: false },
    });
  });

  test('a real check hides the simulation-only fields and sends R = W = 2 and no skew', async () => {
    const view = await mountView();
    expect(view.find('[data-testid="check-simulation-fields"]').exists()).toBe(true);
    await view.get('[data-testid="check-simulated"]').setValue(false);
    expect(view.find('[data-testid="check-simulation-fields"]').exists()).toBe(false);
    expect(view.find('[data-testid="check-readQuorum"]').exists()).toBe(false);
    expect(view.get('[data-testid="check-start"]').text()).toBe('Start check on real peers');
    await view.get('[data-testid="check-form"]').trigger('submit');
    await flushPromises();
    const [spec, simulated] = client.calls.startCheck.mock.calls[0]!;
    expect(simulated).toBe(false);
    expect([spec.readQuorum, spec.writeQuorum, spec.clockSkewTicks]).toEqual([2, 2, 0]);
  });

  test('on a running cluster, a real check takes that cluster’s peers, protocol, quorum mode and tick', async () => {
    const cluster = useClusterStore();
    cluster.session = { ...fakeSession([1, 2, 3, 4].map((number) => fakePeer(number))), protocol: 'gossip', quorum: 'sloppy', tickMs: 50 };
    cluster.peers = cluster.session.peers;
    const view = await mountView();
    await view.get('[data-testid="check-simulated"]').setValue(false);
    // The cluster's fields show that cluster, and cannot be changed.
    expect(view.get('[data-testid="check-peers"]').element.closest('fieldset')!.disabled).toBe(true);
    expect((view.get('[data-testid="check-tickMs"]').element as HTMLInputElement).value).toBe('50');
    expect((view.get('[data-testid="check-peers"]').element as HTMLInputElement).value).toBe('4');
    expect((view.get('[data-testid="check-quorum"]').element as HTMLSelectElement).value).toBe('sloppy');
    await view.get('[data-testid="check-form"]').trigger('submit');
    await flushPromises();
    expect(client.calls.startCheck.mock.calls[0]![0]).toMatchObject({ peers: 4, protocol: 'gossip', quorum: 'sloppy', tickMs: 50 });
  });

  test('refuses bad fields at the field, and sends nothing', async () => {
    const view = await mountView();
    await type(view, 'clients', '0');
    await type(view, 'durationSeconds', '');
    await type(view, 'peers', '2');
    await type(view, 'readQuorum', '4');
    await type(view, 'keys', '2.5');
    expect(view.get('[data-testid="check-problem-clients"]').text()).toBe('Clients: a whole number from 1 to 64');
    expect(view.get('[data-testid="check-problem-durationSeconds"]').text()).toBe('Duration: type a number from 0.1 to 86,400 s');
    expect(view.get('[data-testid="check-problem-peers"]').text()).toBe('Peers: a whole number from 3 to 64 (each key has N = 3 owners)');
    expect(view.get('[data-testid="check-problem-readQuorum"]').text()).toBe('R: a whole number from 1 to 3');
    expect(view.get('[data-testid="check-problem-keys"]').text()).toBe('Keys: a whole number from 1 to 1,000');
    expect(view.get('[data-testid="check-clients"]').classes()).toContain('invalid');
    expect(view.get('[data-testid="check-problems"]').text()).toBe('5 fields need a fix before the check can start.');
    expect(view.get('[data-testid="check-start"]').attributes('disabled')).toBeDefined();
    await view.get('[data-testid="check-form"]').trigger('submit');
    await flushPromises();
    expect(client.calls.startCheck).not.toHaveBeenCalled();
    // A mix with no weight at all is refused as a whole.
    await view.get('[data-testid="check-reset"]').trigger('click');
    await type(view, 'read', '0');
    await type(view, 'write', '0');
    await type(view, 'delete', '0');
    expect(view.get('[data-testid="check-problem-mix"]').text()).toBe('Mix: give reads, writes or deletes some weight');
    // A field only simulated runs use is not judged for a real one.
    await view.get('[data-testid="check-reset"]').trigger('click');
    await type(view, 'writeQuorum', '9');
    expect(view.find('[data-testid="check-problem-writeQuorum"]').exists()).toBe(true);
    await view.get('[data-testid="check-simulated"]').setValue(false);
    expect(view.find('[data-testid="check-problems"]').exists()).toBe(false);
  });

  test('every field’s limits are the schema’s: its bounds pass, one step beyond is refused by both', () => {
    const spec = (form: CheckForm) => checkSpecSchema.safeParse(specOfForm(form)).success;
    for (const field of CHECK_NUMBER_FIELDS) {
      const rule = FIELD_RULES[field];
      const base = defaultCheckForm();
      const step = rule.integer ? 1 : field === 'lossPercent' ? 0.5 : field === 'operationTimeoutSeconds' ? 0.001 : 0.01;
      for (const value of [rule.minExclusive ? rule.min + step : rule.min, rule.max]) {
        const form = { ...base, [field]: value };
        expect(checkFormProblems(form), `${field} = ${value}`).toEqual({});
        expect(spec(form), `${field} = ${value}`).toBe(true);
      }
      const above = { ...base, [field]: rule.max + step };
      expect(checkFormProblems(above)[field], `${field} above`).toBeDefined();
      if (field !== 'seed') expect(spec(above), `${field} above, by the schema`).toBe(false);
      const below = { ...base, [field]: rule.minExclusive ? rule.min : rule.min - step };
      expect(checkFormProblems(below)[field], `${field} below`).toBeDefined();
      // Tighter than the schema on purpose: fewer than N peers place no key.
      if (field !== 'peers' && !(field === 'read' || field === 'write' || field === 'delete')) expect(spec(below), `${field} below, by the schema`).toBe(false);
    }
  });
});

describe('a real check', () => {
  test('shows its progress, phase and operations while it runs; Stop cancels it; the judged run follows', async () => {
    vi.useFakeTimers();
    const running: CheckStatus = { state: 'running', simulated: false, progress: { fraction: 0.4, phase: 'workload: 4 clients', operations: 123 } };
    client.calls.startCheck.mockResolvedValue(running);
    client.calls.checkStatus.mockResolvedValue({ state: 'idle', simulated: false });
    const view = await mountView();
    await view.get('[data-testid="check-simulated"]').setValue(false);
    client.calls.checkStatus.mockResolvedValue(running);
    await view.get('[data-testid="check-form"]').trigger('submit');
    await flushPromises();
    expect(view.get('[data-testid="check-phase"]').text()).toBe('workload: 4 clients');
    expect(view.get('[data-testid="check-operations"]').text()).toBe('123 operations');
    expect(view.get('[data-testid="check-progress"] .fill').attributes('style')).toContain('width: 40%');
    expect(view.get('[data-testid="check-start"]').attributes('disabled')).toBeDefined();
    client.calls.cancelCheck.mockResolvedValue({ ...running, progress: { fraction: 0.8, phase: 'healing', operations: 130 } });
    await view.get('[data-testid="check-stop"]').trigger('click');
    await flushPromises();
    expect(client.calls.cancelCheck).toHaveBeenCalledTimes(1);
    expect(view.get('[data-testid="check-phase"]').text()).toBe('healing');
    // The status is read every CHECK_POLL_MS until the run is judged.
    const run = staleReadRun();
    client.calls.checkStatus.mockResolvedValue({ state: 'done', simulated: false, run });
    await vi.advanceTimersByTimeAsync(CHECK_POLL_MS + 10);
    await flushPromises();
    expect(view.find('[data-testid="check-progress"]').exists()).toBe(false);
    expect(view.get('[data-testid="check-verdict"]').text()).toBe('FAILED');
    const reads = client.calls.checkStatus.mock.calls.length;
    await vi.advanceTimersByTimeAsync(CHECK_POLL_MS * 4);
    expect(client.calls.checkStatus.mock.calls.length).toBe(reads);
  });

  test('a check that could not run says why', async () => {
    client.calls.startCheck.mockResolvedValue({ state: 'failed', simulated: false, error: 'resume or finish every peer before a check: it needs a settled cluster' });
    const view = await mountView();
    await view.get('[data-testid="check-simulated"]').setValue(false);
    await view.get('[data-testid="check-form"]').trigger('submit');
    await flushPromises();
    expect(view.get('[data-testid="check-error"]').text()).toBe('The check could not run: resume or finish every peer before a check: it needs a settled cluster');
  });
});

describe('a judged run', () => {
  test('a passing simulated run says PASSED, its mode, counts, fault schedule, guarantees and the replay command', async () => {
    const run = runSimulatedCheck(checkSpecSchema.parse({ workload: { durationMs: 10_000 } }));
    expect(run.passed).toBe(true);
    client.calls.checkStatus.mockResolvedValue({ state: 'done', simulated: true, run });
    const view = await mountView();
    expect(view.get('[data-testid="check-verdict"]').text()).toBe('PASSED');
    expect(view.get('[data-testid="check-verdict-sentence"]').text()).toMatch(/^No anomaly that strict quorums rule out: simulated run, seed 1, [\d,]+ operations in [\d.]+ s of simulated time\.$/);
    expect(view.get('[data-testid="check-mode"]').text()).toBe(`Mode: ${run.mode}`);
    expect(view.get('[data-testid="check-counts"]').text()).toContain(`${run.report.counts.operations} operations`);
    expect(view.findAll('[data-testid="check-faults"] li').map((line) => line.text())).toEqual(['5.0-10.0 s: crash peer 3, restart it at the end (its store kept)']);
    expect(view.findAll('[data-testid="check-guarantees"] li')).toHaveLength(run.report.guarantees.length);
    expect(view.get('[data-testid="check-replay"]').text()).toBe('ringside check --sim --seed 1 --duration 10');
    expect(view.findAll('[data-testid="check-linearizability"] tbody tr').map((row) => row.attributes('data-verdict'))).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(view.find('[data-testid="check-anomaly"]').exists()).toBe(false);
  });

  test('a failing run says FAILED with each anomaly’s sentence and a timeline: a row per client, a bar per operation, the fault periods shaded', async () => {
    const run = staleReadRun();
    expect(verdictOf(run)).toBe('failed');
    client.calls.checkStatus.mockResolvedValue({ state: 'done', simulated: true, run });
    const view = await mountView();
    expect(view.get('[data-testid="check-verdict"]').text()).toBe('FAILED');
    expect(view.get('[data-testid="check-verdict-sentence"]').text()).toMatch(/^2 anomalies that strict quorums rule out \(1 stale-read, 1 not-linearizable\)/);
    const anomalies = view.findAll('[data-testid="check-anomaly"]');
    expect(anomalies.map((anomaly) => anomaly.attributes('data-kind'))).toEqual(['stale-read', 'not-linearizable']);
    const stale = anomalies[0]!;
    expect(stale.get('[data-testid="check-anomaly-sentence"]').text()).toBe(run.report.anomalies[0]!.sentence);
    expect(stale.get('[data-testid="check-anomaly-sentence"]').text()).toContain("Client 2's read of k began at 1.40 s and returned A");

    // The geometry, computed again: the window spans the operations, padded on each side.
    const operations = run.report.anomalies[0]!.operations.map((id) => run.history.operations[id]!);
    const first = Math.min(...operations.map((operation) => operation.invokeMs));
    const last = Math.max(...operations.map((operation) => operation.completeMs));
    const padding = Math.max((last - first) * PADDING_FRACTION, PADDING_MS_MIN);
    const [start, end] = [first - padding, last + padding];
    const plot = TIMELINE_WIDTH - GUTTER_WIDTH - RIGHT_PADDING;
    const x = (ms: number): number => GUTTER_WIDTH + ((ms - start) / (end - start)) * plot;
    const clients = [...new Set(operations.map((operation) => operation.process))].sort();

    const svg = stale.get('[data-testid="check-timeline"]');
    const rows = svg.findAll('[data-testid="timeline-row"]');
    expect(rows.map((row) => Number(row.attributes('data-process')))).toEqual(clients);
    expect(rows.map((row) => row.text())).toEqual(clients.map((process) => `client ${process}`));
    const bars = svg.findAll('[data-testid="timeline-bar"]');
    expect(bars).toHaveLength(operations.length);
    for (const operation of operations) {
      const bar = svg.get(`[data-testid="timeline-bar"][data-operation="${operation.id}"]`);
      const rect = bar.get('rect');
      expect(Number(rect.attributes('x'))).toBeCloseTo(x(operation.invokeMs), 6);
      expect(Number(rect.attributes('width'))).toBeCloseTo(Math.max(BAR_WIDTH_MIN, x(operation.completeMs) - x(operation.invokeMs)), 6);
      expect(Number(rect.attributes('y'))).toBe(TOP_PADDING + clients.indexOf(operation.process) * ROW_HEIGHT + BAR_OFFSET);
      expect(Number(rect.attributes('height'))).toBe(BAR_HEIGHT);
      expect(bar.attributes('data-outcome')).toBe('ok');
      expect(bar.get('text').text()).toBe(operationLabel(operation));
    }
    expect(svg.get('[data-operation="2"] text').text()).toBe('R(k)=A');
    expect(svg.get('[data-operation="1"] text').text()).toBe('W(k,B)');
    // Only the partition overlaps the window: shaded from its start to the window's end, with what broke on hover.
    const faults = svg.findAll('[data-testid="timeline-fault"]');
    expect(faults).toHaveLength(1);
    expect(Number(faults[0]!.attributes('x'))).toBeCloseTo(x(1250), 6);
    expect(Number(faults[0]!.attributes('width'))).toBeCloseTo(x(end) - x(1250), 6);
    expect(Number(faults[0]!.attributes('height'))).toBe(clients.length * ROW_HEIGHT);
    expect(faults[0]!.get('title').text()).toBe('1.3-6.0 s: partition {1,2} | {3,4,5} (minority | majority)');
    // The axis is in seconds.
    expect(svg.findAll('.tick').map((tick) => tick.text())).toContain('1.2 s');
  });

  test('draws at most 50 anomalies and counts the rest', async () => {
    const base = staleReadRun();
    const anomaly = base.report.anomalies[0]!;
    const many = Array.from({ length: 70 }, () => anomaly);
    const run: CheckRun = { ...base, report: { ...base.report, anomalies: many, anomalyCounts: { ...base.report.anomalyCounts, 'stale-read': 70, 'not-linearizable': 5 } } };
    client.calls.checkStatus.mockResolvedValue({ state: 'done', simulated: true, run });
    const view = await mountView();
    expect(view.findAll('[data-testid="check-anomaly"]')).toHaveLength(50);
    expect(view.findAll('[data-testid="check-timeline"]')).toHaveLength(50);
    expect(view.get('[data-testid="check-anomalies-more"]').text()).toContain('and 25 more not drawn here');
  });

  test('the history downloads as JSON, Jepsen EDN and Porcupine JSON, made in the window', async () => {
    const run = staleReadRun();
    client.calls.checkStatus.mockResolvedValue({ state: 'done', simulated: true, run });
    const blobs: Blob[] = [];
    const names: string[] = [];
    URL.createObjectURL = vi.fn((blob: Blob) => (blobs.push(blob), `blob:${blobs.length}`));
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    const view = await mountView();
    await view.get('[data-testid="download-history"]').trigger('click');
    await view.get('[data-testid="download-edn"]').trigger('click');
    await view.get('[data-testid="download-porcupine"]').trigger('click');
    click.mockRestore();
    expect(names).toEqual(['ringside-check-sim-seed-3-history.json', 'ringside-check-sim-seed-3-history.edn', 'ringside-check-sim-seed-3-porcupine.json']);
    const history = JSON.parse(await blobs[0]!.text());
    expect(history.operations).toHaveLength(4);
    expect(await blobs[1]!.text()).toContain(':type :invoke');
    expect(JSON.parse(await blobs[2]!.text())).toHaveLength(3);
  });
});

test('timeline labels stay inside the picture and never cover one another', () => {
  // One client's two quick operations, then another's at the very end of the window.
  const operations: RegisterOperation[] = [
    { id: 0, process: 0, kind: 'write', key: 'check-3', value: 'c0-1-xxxxxxxx', outcome: 'ok', invokeMs: 0, completeMs: 10 },
    { id: 1, process: 0, kind: 'read', key: 'check-3', value: 'c0-1-xxxxxxxx', outcome: 'ok', invokeMs: 150, completeMs: 160 },
    { id: 2, process: 1, kind: 'write', key: 'check-3', value: 'c1-9-xxxxxxxx', outcome: 'info', invokeMs: 990, completeMs: 1000, error: 'timeout' },
  ];
  const layout = timelineLayout(operations, []);
  const start = (bar: (typeof layout.bars)[number]): number => (bar.labelAnchor === 'start' ? bar.labelX : bar.labelX - bar.label.length * LABEL_CHARACTER_WIDTH);
  const end = (bar: (typeof layout.bars)[number]): number => start(bar) + bar.label.length * LABEL_CHARACTER_WIDTH;
  const [first, second, last] = layout.bars as [(typeof layout.bars)[number], (typeof layout.bars)[number], (typeof layout.bars)[number]];
  expect(first.label.endsWith('…')).toBe(true);
  expect(end(first)).toBeLessThanOrEqual(start(second));
  expect(second.label).toBe('R(check-3)=c0-1-xxxx…');
  expect(last.labelAnchor).toBe('end');
  expect(end(last)).toBeLessThanOrEqual(TIMELINE_WIDTH);
  expect(last.outcome).toBe('info');
  // With no room at all, a label gives way (its operation still says all on hover).
  const crowded = timelineLayout([{ ...operations[0]!, completeMs: 1 }, { ...operations[1]!, invokeMs: 2, completeMs: 1000 }], []);
  expect(crowded.bars[0]!.label).toBe('');
  expect(crowded.bars[0]!.title).toContain("client 0's write of c0-1-xxxxxxxx to check-3");
});

test('the replay command names every option that differs from the defaults', () => {
  const spec = checkSpecSchema.parse({ seed: 9, peers: 7, quorum: 'sloppy', readQuorum: 1, writeQuorum: 1, clockSkewTicks: 4, workload: { durationMs: 12_500, mix: { read: 1, write: 1, delete: 0 } }, nemesis: { kinds: ['partition'], loss: 0.2, combined: true } });
  expect(replayCommand(spec)).toBe('ringside check --sim --seed 9 --peers 7 --quorum sloppy --duration 12.5 --mix 1:1:0 --nemesis partition --loss 0.2 --combined --read-quorum 1 --write-quorum 1 --skew 4');
  expect(replayCommand(checkSpecSchema.parse({}))).toBe('ringside check --sim --seed 1');
  expect(replayCommand(checkSpecSchema.parse({ nemesis: { kinds: [] } }))).toBe('ringside check --sim --seed 1 --nemesis none');
});

test('the store reads a check started before the window opened', async () => {
  const run = staleReadRun();
  client.calls.checkStatus.mockResolvedValue({ state: 'done', simulated: true, run });
  const check = useCheckStore();
  await check.refresh();
  expect(check.status.run).toBe(run);
});
