/**
 * The membership matrix: what each observer (a row) believes about each subject (a column),
 * built once per read of the views as plain arrays, so the view renders it with no watcher per
 * cell. A cell that differs from what most observers believe about its subject is marked, and
 * so is every row with such a cell.
 */
import type { PeerSummaryWire } from '../../../shared/api/cluster-api.ts';
import type { MemberViewWire } from '../../../shared/protocol/control.ts';

/** A member state as an observer lists it, or `absent` when it does not list the subject. */
export type CellState = MemberViewWire['state'] | 'absent';

export interface MatrixColumn {
  readonly id: string;
  /** `#3`, or the address of a subject this window does not number. */
  readonly label: string;
  readonly title: string;
  /** The subject's process is not running (killed, left, crashed…): its header is muted. */
  readonly gone: boolean;
  /** The state most observers (the subject included) hold about it (`absent` when none answers). */
  readonly majority: CellState;
}

export interface MatrixCell {
  readonly state: CellState;
  /** The observer's entry about itself. */
  readonly self: boolean;
  /** Not what most observers believe about this subject. */
  readonly differs: boolean;
  readonly title: string;
}

export interface MatrixRow {
  readonly id: string;
  readonly label: string;
  readonly title: string;
  /** The peer answered with its view; otherwise `note` says why it has none. */
  readonly observing: boolean;
  readonly note: string | undefined;
  readonly cells: readonly MatrixCell[];
  /** Cells of this row that differ from the majority. */
  readonly disagreements: number;
}

export interface MembershipMatrix {
  readonly columns: readonly MatrixColumn[];
  readonly rows: readonly MatrixRow[];
  /** Rows with at least one cell that differs from the majority. */
  readonly disagreeingRows: number;
}

/** The paper's word for each state, as the window shows it. */
export const CELL_STATE_WORDS: Readonly<Record<CellState, string>> = {
  alive: 'alive',
  suspect: 'suspect',
  dead: 'failed (dead)',
  left: 'left',
  absent: 'not known yet',
};

/** A glyph per state, so the matrix reads without colour too. */
export const CELL_GLYPHS: Readonly<Record<CellState, string>> = {
  alive: '',
  suspect: '?',
  dead: '✕',
  left: '↩',
  absent: '·',
};

/** Ties for the majority go to the state that tells the most (a failure over a suspicion). */
const MAJORITY_PREFERENCE: readonly CellState[] = ['dead', 'left', 'suspect', 'alive', 'absent'];

const PROCESS_NOTES: Readonly<Record<string, string>> = {
  starting: 'starting: not answering yet',
  paused: 'paused (SIGSTOP): it cannot answer',
  leaving: 'leaving: handing off its keys',
  left: 'left the group: no view',
  killed: 'killed: its process is gone',
  crashed: 'crashed: its process is gone',
  detached: 'detached: this window lost contact',
};

/** Process states in which a peer is still a process that may be listed. */
const RUNNING_PROCESS: ReadonlySet<string> = new Set(['starting', 'running', 'paused', 'leaving', 'attached']);

export function peerLabel(peer: Pick<PeerSummaryWire, 'number'> | undefined, id: string): string {
  return peer === undefined ? id : `#${peer.number}`;
}

function describeMember(member: MemberViewWire): string {
  const parts = [CELL_STATE_WORDS[member.state]];
  if (member.incarnation !== undefined) parts.push(`incarnation ${member.incarnation}`);
  if (member.heartbeat !== undefined) parts.push(`heartbeat ${member.heartbeat}`);
  if (member.generation !== undefined) parts.push(`generation ${member.generation}`);
  parts.push(`since tick ${member.sinceTick}`);
  return parts.join(' · ');
}

function majorityOf(counts: Map<CellState, number>): CellState {
  let best: CellState = 'absent';
  let bestCount = 0;
  for (const state of MAJORITY_PREFERENCE) {
    const count = counts.get(state) ?? 0;
    if (count > bestCount) {
      best = state;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Builds the matrix. Subjects: the window's peers that still run or that some observer still
 * lists, numbered ones first, then any other listed member; rows are the same peers, so the
 * diagonal is each peer about itself.
 */
export function buildMembershipMatrix(views: Readonly<Record<string, readonly MemberViewWire[]>>, peers: readonly PeerSummaryWire[]): MembershipMatrix {
  const byObserver = new Map<string, Map<string, MemberViewWire>>();
  const listed = new Set<string>();
  for (const [observer, members] of Object.entries(views)) {
    const byId = new Map<string, MemberViewWire>();
    for (const member of members) {
      byId.set(member.id, member);
      listed.add(member.id);
    }
    byObserver.set(observer, byId);
  }
  const peerById = new Map(peers.map((peer) => [peer.id, peer]));
  const numbered = [...peers].sort((a, b) => a.number - b.number).filter((peer) => RUNNING_PROCESS.has(peer.state) || listed.has(peer.id) || byObserver.has(peer.id));
  const others = [...new Set([...listed, ...byObserver.keys()])].filter((id) => !peerById.has(id)).sort();
  const ids = [...numbered.map((peer) => peer.id), ...others];
  const labels = ids.map((id) => peerLabel(peerById.get(id), id));
  const observers = ids.filter((id) => byObserver.has(id));

  const stateOf = (observer: string, subject: string): CellState => byObserver.get(observer)?.get(subject)?.state ?? 'absent';

  // The subject's own say counts too: with an odd group a partition leaves no tie, so the
  // minority's rows are the ones that stand out.
  const majorities = ids.map((subject) => {
    const counts = new Map<CellState, number>();
    for (const observer of observers) {
      const state = stateOf(observer, subject);
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    return majorityOf(counts);
  });

  const columns: MatrixColumn[] = ids.map((id, index) => {
    const peer = peerById.get(id);
    const gone = peer !== undefined && !RUNNING_PROCESS.has(peer.state);
    const majority = majorities[index] as CellState;
    return {
      id,
      label: labels[index] as string,
      title: `${labels[index]} ${peer === undefined ? '(not started by this window)' : id}${gone ? ` · ${peer?.state}` : ''} · most peers say ${CELL_STATE_WORDS[majority]}`,
      gone,
      majority,
    };
  });

  let disagreeingRows = 0;
  const rows: MatrixRow[] = ids.map((observer, rowIndex) => {
    const label = labels[rowIndex] as string;
    const peer = peerById.get(observer);
    const members = byObserver.get(observer);
    if (members === undefined) {
      const note = PROCESS_NOTES[peer?.state ?? ''] ?? 'no view';
      return { id: observer, label, title: `${label} ${observer}: ${note}`, observing: false, note, cells: [], disagreements: 0 };
    }
    let disagreements = 0;
    const cells = ids.map((subject, columnIndex): MatrixCell => {
      const member = members.get(subject);
      const state: CellState = member?.state ?? 'absent';
      const self = subject === observer;
      const majority = majorities[columnIndex] as CellState;
      const differs = !self && state !== majority;
      if (differs) disagreements++;
      const about = `${label} about ${labels[columnIndex]}${self ? ' (itself)' : ''}`;
      const detail = member === undefined ? CELL_STATE_WORDS.absent : describeMember(member);
      return { state, self, differs, title: `${about}: ${detail}${differs ? ` — most peers say ${CELL_STATE_WORDS[majority]}` : ''}` };
    });
    if (disagreements > 0) disagreeingRows++;
    return { id: observer, label, title: `${label} ${observer}${disagreements > 0 ? ` disagrees with most peers about ${disagreements} member${disagreements === 1 ? '' : 's'}` : ''}`, observing: true, note: undefined, cells, disagreements };
  });

  return { columns, rows, disagreeingRows };
}
