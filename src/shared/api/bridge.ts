/**
 * The window's view of the cluster API: one function per capability, and a subscription that
 * returns its unsubscribe function. Nothing generic: no `invoke(channel, …)`.
 *
 * Two implementations, one contract:
 *   - inside Electron, the preload exposes it as `window.ringside`, each function on its own
 *     IPC channel `cluster:<name>`; the main process rebuilds the command with `CAPABILITIES`
 *     and parses it with `apiCommandSchema` before it runs;
 *   - in a browser (`ringside serve`), the renderer's WebSocket client builds the same commands
 *     and sends them as `{ t: 'req', id, command }`.
 *
 * `exportJournal` is the one capability each side carries out its own way: Electron asks where
 * to save with the native dialog and writes the file in the main process; a browser downloads.
 */
import type { FaultPlan } from '../protocol/faults.ts';
import type { KvOperation } from '../protocol/kv.ts';
import type { DhtInspection, DhtTyped, KvResultWire, MemberViewWire, PeerInspection } from '../protocol/control.ts';
import type { ExportFormat, SessionEntry } from '../journal/session.ts';
import type { CheckRun, CheckSpecInput } from '../check/run.ts';
import type { ApiCommand, ApiCommandInput, ApiEvents, ClusterSettings, PeerSummaryWire, SessionInfo } from './cluster-api.ts';

/** What each command answers: the dispatcher (`runApiCommand`) is checked against this. */
export interface ApiResults {
  session: SessionInfo;
  peers: PeerSummaryWire[];
  'cluster.start': PeerSummaryWire[];
  'cluster.stop': PeerSummaryWire[];
  'peer.add': PeerSummaryWire;
  'peer.stop': PeerSummaryWire | undefined;
  'peer.kill': PeerSummaryWire | undefined;
  'peer.pause': PeerSummaryWire | undefined;
  'peer.resume': PeerSummaryWire | undefined;
  'peer.restart': PeerSummaryWire;
  'peer.attach': PeerSummaryWire;
  'peer.remove': PeerSummaryWire[];
  'ring.states': Record<string, RingStateInfo>;
  'check.start': CheckStatus;
  'check.status': CheckStatus;
  'check.cancel': CheckStatus;
  'peer.inspect': PeerInspection;
  views: Record<string, MemberViewWire[]>;
  'faults.set': FaultPlan;
  'faults.get': FaultPlan;
  kv: KvResultWire;
  'journal.entries': SessionEntry[];
  'journal.export': string;
  'dht.inspect': DhtInspection;
  'dht.ring': DhtInspection[];
  'dht.type': DhtTyped;
  'dht.store': DhtTyped;
  'dht.request': DhtTyped;
  'dht.file.put': DhtFilePut;
}

/** One peer's ring state, as its inspection says (`PeerInspection['ring']`). */
export type RingStateInfo = NonNullable<PeerInspection['ring']>;

/** A check's progress and, once done, the whole run (`src/main/check/check-session.ts`). */
export interface CheckStatus {
  readonly state: 'idle' | 'running' | 'done' | 'failed';
  readonly simulated: boolean;
  readonly progress?: { readonly fraction: number; readonly phase: string; readonly operations: number };
  readonly run?: CheckRun;
  readonly error?: string;
}

/** Where a file put in a DHT peer's folder went. */
export interface DhtFilePut {
  /** The peer's id. */
  readonly peer: string;
  readonly name: string;
  /** Its path on the machine that runs the peer. */
  readonly path: string;
  readonly bytes: number;
}
export type ApiCommandType = ApiCommand['type'];
export type ApiResult<T extends ApiCommandType> = ApiResults[T];

export interface KvRequest {
  readonly op: KvOperation;
  readonly key: string;
  readonly value?: string | undefined;
  /** The coordinator; default: the running peers in turn. */
  readonly via?: string | undefined;
}

/** How a peer is added: circular DHT peers take an identity and the peer to join through. */
export interface AddPeerOptions {
  /** 0-255; default: the middle of the largest gap on the circle. */
  readonly identity?: number | undefined;
  /** The id of a running peer to join through; default: the running peer with the smallest identity. */
  readonly via?: string | undefined;
}

/** Where an export went: a file the user chose (Electron), a download (browser), or nowhere. */
export type ExportOutcome = { saved: string } | { downloaded: string } | { cancelled: true };

/**
 * The capabilities that are one API command each: the name of the bridge function, and the
 * command its arguments make. The preload names its channels after these keys; the main process
 * and the WebSocket client build commands with these functions.
 */
export const CAPABILITIES = {
  session: () => ({ type: 'session' }),
  peers: () => ({ type: 'peers' }),
  startCluster: (peers: number, settings?: Partial<ClusterSettings>, identities?: readonly number[]) => ({
    type: 'cluster.start',
    peers,
    ...settings,
    ...(identities === undefined ? {} : { identities: [...identities] }),
  }),
  stopCluster: () => ({ type: 'cluster.stop' }),
  addPeer: (options?: AddPeerOptions) => ({
    type: 'peer.add',
    ...(options?.identity === undefined ? {} : { identity: options.identity }),
    ...(options?.via === undefined ? {} : { via: options.via }),
  }),
  stopPeer: (peer: string) => ({ type: 'peer.stop', peer }),
  killPeer: (peer: string) => ({ type: 'peer.kill', peer }),
  pausePeer: (peer: string) => ({ type: 'peer.pause', peer }),
  resumePeer: (peer: string) => ({ type: 'peer.resume', peer }),
  restartPeer: (peer: string) => ({ type: 'peer.restart', peer }),
  attachPeer: (address: string) => ({ type: 'peer.attach', address }),
  removePeer: (peer: string) => ({ type: 'peer.remove', peer }),
  ringStates: () => ({ type: 'ring.states' }),
  startCheck: (spec: CheckSpecInput, simulated?: boolean) => ({ type: 'check.start', spec, ...(simulated === undefined ? {} : { simulated }) }),
  checkStatus: () => ({ type: 'check.status' }),
  cancelCheck: () => ({ type: 'check.cancel' }),
  inspectPeer: (peer: string, records?: number) => ({ type: 'peer.inspect', peer, ...(records === undefined ? {} : { records }) }),
  views: () => ({ type: 'views' }),
  setFaults: (plan: FaultPlan) => ({ type: 'faults.set', plan }),
  getFaults: () => ({ type: 'faults.get' }),
  runKv: (request: KvRequest) => ({
    type: 'kv',
    op: request.op,
    key: request.key,
    ...(request.value === undefined ? {} : { value: request.value }),
    ...(request.via === undefined ? {} : { via: request.via }),
  }),
  journalEntries: (since?: number, limit?: number) => ({
    type: 'journal.entries',
    ...(since === undefined ? {} : { since }),
    ...(limit === undefined ? {} : { limit }),
  }),
  inspectDhtPeer: (peer: string) => ({ type: 'dht.inspect', peer }),
  dhtRing: () => ({ type: 'dht.ring' }),
  typeDhtLine: (peer: string, line: string) => ({ type: 'dht.type', peer, line }),
  storeDhtFile: (peer: string, file: string) => ({ type: 'dht.store', peer, file }),
  requestDhtFile: (peer: string, file: string) => ({ type: 'dht.request', peer, file }),
  putDhtFile: (peer: string, name: string, contentBase64?: string) => ({
    type: 'dht.file.put',
    peer,
    name,
    ...(contentBase64 === undefined ? {} : { contentBase64 }),
  }),
} as const satisfies Record<string, (...args: never[]) => ApiCommandInput>;

export type CapabilityName = keyof typeof CAPABILITIES;
export const CAPABILITY_NAMES = Object.keys(CAPABILITIES) as CapabilityName[];

/** The command type a capability's function builds. */
type CommandOf<N extends CapabilityName> = ReturnType<(typeof CAPABILITIES)[N]>['type'];

export type CapabilityFunctions = {
  [N in CapabilityName]: (...args: Parameters<(typeof CAPABILITIES)[N]>) => Promise<ApiResult<CommandOf<N>>>;
};

export interface RingsideBridge extends CapabilityFunctions {
  /** Saves the session in one export format (the native save dialog in Electron). */
  exportJournal(format: ExportFormat): Promise<ExportOutcome>;
  /** Event batches as they come (at most one per 50 ms); returns the unsubscribe function. */
  onEvents(listener: (events: ApiEvents) => void): () => void;
}

/** The IPC channel of a capability: namespaced, one per function. */
export function capabilityChannel(name: CapabilityName | 'exportJournal'): string {
  return `cluster:${name}`;
}
export const EVENTS_CHANNEL = 'cluster:events';
