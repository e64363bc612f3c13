/**
 * The Check view's form: what the user types (times in seconds, loss in percent), each field's
 * limits (the check spec schema's, `src/shared/check/run.ts`, `workload.ts`, `nemesis.ts`), what is
 * wrong with a field in words, and the spec the form makes. A bad field is said at the field and
 * nothing is sent; the schema checks the spec once more before it goes.
 *
 * Two limits are tighter than the schema's, so that every check the window starts is one the
 * command line can replay and one that can place keys: at least N = 3 peers, and whole-number
 * weights in the mix (`--mix 50:40:10`).
 */
import { NEMESIS_KINDS, type NemesisKind } from '../../../shared/check/nemesis.ts';
import { checkSpecSchema, type CheckSpec, type CheckSpecInput } from '../../../shared/check/run.ts';
import { KV_DEFAULTS } from '../../../shared/kv/config.ts';

export interface CheckForm {
  simulated: boolean;
  seed: number;
  peers: number;
  protocol: 'gossip' | 'swim';
  quorum: 'strict' | 'sloppy';
  tickMs: number;
  clients: number;
  keys: number;
  read: number;
  write: number;
  delete: number;
  valueBytes: number;
  rate: number;
  durationSeconds: number;
  operationTimeoutSeconds: number;
  nemesis: Record<NemesisKind, boolean>;
  intervalSeconds: number;
  lossPercent: number;
  combined: boolean;
  clockSkewTicks: number;
  readQuorum: number;
  writeQuorum: number;
}

/** The fields that hold a number the user types. */
export type CheckNumberField = {
  [F in keyof CheckForm]: CheckForm[F] extends number ? F : never;
}[keyof CheckForm];

export interface FieldRule {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** The minimum itself is refused (a rate above 0). */
  readonly minExclusive?: boolean;
  readonly integer: boolean;
  readonly unit?: string;
  /** Only simulated runs use it (real peers share one clock and run R = W = 2). */
  readonly simulatedOnly?: boolean;
}

export const FIELD_RULES: Readonly<Record<CheckNumberField, FieldRule>> = {
  seed: { label: 'Seed', min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  peers: { label: 'Peers', min: KV_DEFAULTS.ring.replicas, max: 64, integer: true },
  tickMs: { label: 'Tick', min: 10, max: 10_000, integer: true, unit: 'ms' },
  clients: { label: 'Clients', min: 1, max: 64, integer: true },
  keys: { label: 'Keys', min: 1, max: 1000, integer: true },
  read: { label: 'Reads', min: 0, max: 1000, integer: true },
  write: { label: 'Writes', min: 0, max: 1000, integer: true },
  delete: { label: 'Deletes', min: 0, max: 1000, integer: true },
  valueBytes: { label: 'Value size', min: 1, max: 65_536, integer: true, unit: 'bytes' },
  rate: { label: 'Rate', min: 0, minExclusive: true, max: 100_000, integer: false, unit: 'operations/s' },
  durationSeconds: { label: 'Duration', min: 0.1, max: 86_400, integer: false, unit: 's' },
  operationTimeoutSeconds: { label: 'Timeout', min: 0.01, max: 600, integer: false, unit: 's' },
  intervalSeconds: { label: 'Fault period', min: 0.1, max: 3600, integer: false, unit: 's' },
  lossPercent: { label: 'Loss', min: 0, max: 100, integer: false, unit: '%' },
  clockSkewTicks: { label: 'Clock skew', min: 0, max: 10_000, integer: true, unit: 'ticks', simulatedOnly: true },
  readQuorum: { label: 'R', min: 1, max: KV_DEFAULTS.ring.replicas, integer: true, simulatedOnly: true },
  writeQuorum: { label: 'W', min: 1, max: KV_DEFAULTS.ring.replicas, integer: true, simulatedOnly: true },
};

export const CHECK_NUMBER_FIELDS = Object.keys(FIELD_RULES) as CheckNumberField[];

/** A problem is about a field, the mix as a whole, or (should the schema still refuse) the form. */
export type CheckProblems = Partial<Record<CheckNumberField | 'mix' | 'form', string>>;

/** The form as the schema's defaults make it (a simulated run). */
export function defaultCheckForm(): CheckForm {
  const spec = checkSpecSchema.parse({});
  return {
    simulated: true,
    seed: spec.seed,
    peers: spec.peers,
    protocol: spec.protocol,
    quorum: spec.quorum,
    tickMs: spec.tickMs,
    clients: spec.workload.clients,
    keys: spec.workload.keys,
    read: spec.workload.mix.read,
    write: spec.workload.mix.write,
    delete: spec.workload.mix.delete,
    valueBytes: spec.workload.valueBytes,
    rate: spec.workload.rate,
    durationSeconds: spec.workload.durationMs / 1000,
    operationTimeoutSeconds: spec.workload.operationTimeoutMs / 1000,
    nemesis: Object.fromEntries(NEMESIS_KINDS.map((kind) => [kind, spec.nemesis.kinds.includes(kind)])) as Record<NemesisKind, boolean>,
    intervalSeconds: spec.nemesis.intervalMs / 1000,
    lossPercent: spec.nemesis.loss * 100,
    combined: spec.nemesis.combined,
    clockSkewTicks: spec.clockSkewTicks,
    readQuorum: spec.readQuorum,
    writeQuorum: spec.writeQuorum,
  };
}

const number = (value: number): string => value.toLocaleString('en-US', { maximumFractionDigits: 3 });

/** What is wrong with one value, in words; undefined when it is fine. */
export function fieldProblem(field: CheckNumberField, value: unknown): string | undefined {
  const rule = FIELD_RULES[field];
  const unit = rule.unit === undefined ? '' : rule.unit === '%' ? ' %' : ` ${rule.unit}`;
  const range = rule.integer
    ? `a whole number from ${number(rule.min)} to ${number(rule.max)}${unit}`
    : rule.minExclusive
      ? `more than ${number(rule.min)} and at most ${number(rule.max)}${unit}`
      : `a number from ${number(rule.min)} to ${number(rule.max)}${unit}`;
  // An emptied number input gives '' (Vue's v-model.number); a mistyped one NaN.
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${rule.label}: type ${range}`;
  const low = rule.minExclusive ? value <= rule.min : value < rule.min;
  if (field === 'peers' && low && Number.isInteger(value)) return `${rule.label}: ${range} (each key has N = ${rule.min} owners)`;
  if (low || value > rule.max || (rule.integer && !Number.isInteger(value))) return `${rule.label}: ${range}`;
  return undefined;
}

const milliseconds = (seconds: number): number => Math.round(seconds * 1000);

/** The spec a valid form makes (simulated-only fields only when simulated). */
export function specOfForm(form: CheckForm): CheckSpecInput {
  return {
    peers: form.peers,
    protocol: form.protocol,
    quorum: form.quorum,
    tickMs: form.tickMs,
    seed: form.seed,
    ...(form.simulated ? { clockSkewTicks: form.clockSkewTicks, readQuorum: form.readQuorum, writeQuorum: form.writeQuorum } : {}),
    workload: {
      clients: form.clients,
      keys: form.keys,
      mix: { read: form.read, write: form.write, delete: form.delete },
      valueBytes: form.valueBytes,
      rate: form.rate,
      durationMs: milliseconds(form.durationSeconds),
      operationTimeoutMs: milliseconds(form.operationTimeoutSeconds),
    },
    nemesis: {
      kinds: NEMESIS_KINDS.filter((kind) => form.nemesis[kind]),
      intervalMs: milliseconds(form.intervalSeconds),
      loss: Number((form.lossPercent / 100).toFixed(6)),
      combined: form.combined,
    },
  };
}

const SPEC_PATH_FIELDS: Readonly<Record<string, CheckNumberField | 'mix'>> = {
  peers: 'peers',
  tickMs: 'tickMs',
  seed: 'seed',
  clockSkewTicks: 'clockSkewTicks',
  readQuorum: 'readQuorum',
  writeQuorum: 'writeQuorum',
  'workload.clients': 'clients',
  'workload.keys': 'keys',
  'workload.mix': 'mix',
  'workload.valueBytes': 'valueBytes',
  'workload.rate': 'rate',
  'workload.durationMs': 'durationSeconds',
  'workload.operationTimeoutMs': 'operationTimeoutSeconds',
  'nemesis.intervalMs': 'intervalSeconds',
  'nemesis.loss': 'lossPercent',
};

/** Every problem of the form: by field, then the schema's word on the spec it makes. */
export function checkFormProblems(form: CheckForm): CheckProblems {
  const problems: CheckProblems = {};
  for (const field of CHECK_NUMBER_FIELDS) {
    if (FIELD_RULES[field].simulatedOnly && !form.simulated) continue;
    const problem = fieldProblem(field, form[field]);
    if (problem !== undefined) problems[field] = problem;
  }
  if (problems.read === undefined && problems.write === undefined && problems.delete === undefined && form.read + form.write + form.delete <= 0) {
    problems.mix = 'Mix: give reads, writes or deletes some weight';
  }
  if (Object.keys(problems).length > 0) return problems;
  const parsed = checkSpecSchema.safeParse(specOfForm(form));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.');
      const field = SPEC_PATH_FIELDS[path] ?? SPEC_PATH_FIELDS[issue.path.slice(0, 2).join('.')] ?? 'form';
      problems[field] ??= `${path}: ${issue.message}`;
    }
  }
  return problems;
}

/** The spec a form makes, or its problems. */
export function checkSpecOf(form: CheckForm): { spec: CheckSpec } | { problems: CheckProblems } {
  const problems = checkFormProblems(form);
  if (Object.keys(problems).length > 0) return { problems };
  return { spec: checkSpecSchema.parse(specOfForm(form)) };
}
