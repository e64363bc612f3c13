/**
 * A session journal: every event of every peer of a real cluster, in the order the cluster
 * manager received them, each with a sequence number and the wall-clock time it happened.
 * Saved as NDJSON (one entry per line); exported as the classroom dbg.log, a plain-text log,
 * or a ShiViz log (vector clocks, for a space-time diagram).
 *
 * Every format is written one entry at a time (`sessionWriter`), so a journal of any size is
 * exported as a stream: the caller feeds entries in journal order and writes out each piece
 * of text as it comes. None needs a first pass over the journal: dbg.log counts ticks from the
 * first entry's, ShiViz's vector clocks are built forward (and its log has no header: the
 * regular expression is given to ShiViz apart), and the others are a line per entry.
 */
import { z } from 'zod';
import { DBG_LOG_MAGIC, dbgEntry, dbgText } from './dbg-log.ts';
import { journalEventSchema, type JournalEvent } from './events.ts';

export const sessionEntrySchema = z.object({
  seq: z.number().int().nonnegative(),
  /** Milliseconds since the Unix epoch, as the observing peer's clock read it. */
  at: z.number(),
  event: journalEventSchema,
});
export type SessionEntry = z.infer<typeof sessionEntrySchema>;

export const EXPORT_FORMATS = ['ndjson', 'dbg', 'text', 'shiviz'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** How a text names a peer: its id (the exports), or the window's label for it (`#3`, `Peer 8`). */
export type PeerNamer = (id: string) => string;

const byId: PeerNamer = (id) => id;

/** A peer address in free text: `host:port` or `[v6]:port`, between spaces, commas or brackets. */
const ADDRESS_TOKEN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/;

/**
 * `text` with each peer address in it named by `name`; unchanged when `name` names peers by id.
 * Free text (a peer's or the manager's notes, a fault plan) carries addresses where structured
 * fields carry ids: both read alike in the window.
 */
export function nameAddresses(text: string, name: PeerNamer): string {
  if (name === byId) return text;
  return text.replace(/[^\s,()]+/g, (token) => {
    // The punctuation after an address (`HOST:PORT: plan`, `…, HOST:PORT; loss 0.1`) is not part of it.
    const id = token.replace(/[:;.!?]+$/, '');
    if (!ADDRESS_TOKEN.test(id)) return token;
    return `${name(id)}${token.slice(id.length)}`;
  });
}

/**
 * One line of a journal event, in words: what the text log and the window's log view show.
 * `name` names the peers it mentions (default: by id, as the exports and the command line
 * write them); the window passes its labels, so a line's text names peers as its peer column
 * does. A DHT peer's console line is kept word for word.
 */
export function describeEvent(event: JournalEvent, name: PeerNamer = byId): string {
  switch (event.kind) {
    case 'member.added':
      return `${name(event.subject)} joined (as ${name(event.peer)} sees it)`;
    case 'member.suspected':
      return `suspects ${name(event.subject)}${event.incarnation !== undefined ? ` (incarnation ${event.incarnation})` : ''}`;
    case 'member.alive':
      return `${name(event.subject)} is alive again${event.incarnation !== undefined ? ` (incarnation ${event.incarnation})` : ''}`;
    case 'member.removed':
      return `removed ${name(event.subject)}: failed`;
    case 'member.left':
      return `${name(event.subject)} left`;
    case 'cluster.started':
      return `cluster ${event.epoch} started: ${event.peers} ${event.cluster === 'dht' ? 'circular DHT' : 'key-value'} peer${event.peers === 1 ? '' : 's'}${event.protocol === undefined ? '' : `, ${event.protocol}`}${event.quorum === undefined ? '' : `, ${event.quorum} quorums`}, ${event.tickMs} ms ticks`;
    case 'process.paused':
      return 'paused (SIGSTOP)';
    case 'process.resumed':
      return 'resumed (SIGCONT)';
    case 'process.leaving':
      return 'asked to leave: hands its keys on, then exits';
    case 'peer.started':
      return 'started';
    case 'peer.crashed':
      return 'crashed';
    case 'peer.restarted':
      return 'restarted';
    case 'peer.left':
      return 'left the group';
    case 'message.sent':
      return `sent ${event.type} to ${name(event.to)} (${event.bytes} bytes)`;
    case 'message.delivered':
      return `received ${event.type} from ${name(event.from)}`;
    case 'message.dropped':
      return `dropped ${event.type} to ${name(event.to)}: ${event.reason}`;
    case 'message.rejected':
      return `refused a message from ${name(event.from)}: ${event.reason}, ${nameAddresses(event.detail, name)}`;
    case 'fault.changed':
      return `faults: ${nameAddresses(event.description, name)}`;
    case 'log':
      return nameAddresses(event.text, name);
    case 'console':
      return event.text;
    case 'kv.replica':
      return `replica ${event.op} ${event.key}: ${event.ok ? 'success' : `fail (${event.reason ?? 'refused'})`} (transaction ${event.transaction})`;
    case 'kv.result': {
      const answered = event.replicas.map((replica) => `${name(replica.peer)}${replica.ok === undefined ? ' -' : replica.ok ? ' ok' : ' no'}`).join(', ');
      return `coordinator ${event.op} ${event.key}: ${event.ok ? 'success' : `fail (${event.reason ?? 'refused'})`} in ${event.latencyTicks} ticks [${answered}]`;
    }
    case 'store.changed':
      return `${event.deleted ? 'tombstone' : 'record'} ${event.key} stored by ${event.reason}`;
    case 'store.dropped':
      return `let go of ${event.key}: ${event.reason}`;
    case 'ring.changed':
      return `ring rebuilt: ${event.members} peers`;
    case 'process.started':
      return `process ${event.pid} started (port ${event.port}${event.redisPort > 0 ? `, Redis ${event.redisPort}` : ''})`;
    case 'process.exited':
      return `process ${event.pid} exited${event.signal !== null ? ` on ${event.signal}` : ` with code ${event.code ?? '?'}`}${event.expected ? '' : ' unexpectedly'}`;
  }
}

/** The peer an event happened at (the cluster itself for fault changes). */
export function eventPeer(event: JournalEvent): string {
  return 'peer' in event ? event.peer : 'cluster';
}

export function formatNdjsonLine(entry: SessionEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

/** `2026-11-21T10:00:00.123Z  127.0.0.1:7101  removed 127.0.0.1:7103: failed` per line. */
export function formatTextLine(entry: SessionEntry): string {
  return `${isoTime(entry.at)}  ${eventPeer(entry.event)}  ${describeEvent(entry.event)}\n`;
}

export function formatTextLog(entries: Iterable<SessionEntry>): string {
  return writeWhole(sessionWriter('text'), entries);
}

/** Milliseconds since the epoch as ISO 8601 UTC (the core reads no clock, so no `Date`). */
export function isoTime(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const inDay = ms - days * 86_400_000;
  // Howard Hinnant's civil_from_days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  const hours = Math.floor(inDay / 3_600_000);
  const minutes = Math.floor((inDay % 3_600_000) / 60_000);
  const seconds = Math.floor((inDay % 60_000) / 1000);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hours)}:${pad(minutes)}:${pad(seconds)}.${pad(Math.floor(inDay % 1000), 3)}Z`;
}

/**
 * The classroom dbg.log of a session. Real peers count ticks from the Unix epoch; the log counts
 * them from the session's first event, so its times read like the classroom's.
 */
export function formatSessionDbgLog(entries: Iterable<SessionEntry>): string {
  return writeWhole(sessionWriter('dbg'), entries);
}

/**
 * The regular expression ShiViz (https://bestchai.bitbucket.io/shiviz/) is given to parse the
 * log: the GoVector layout, a host and its vector clock, then the event.
 */
export const SHIVIZ_REGEX = '(?<host>\\S*) (?<clock>{.*})\\n(?<event>.*)';

/**
 * Sends a ShiViz log remembers per directed link and message type, waiting for their delivery;
 * past it the oldest is taken as lost (a peer that crashed, a dropped message). This bounds a
 * streaming export's memory however long the journal.
 */
export const SHIVIZ_IN_FLIGHT_PER_LINK_MAX = 10_000;

/**
 * A ShiViz log: each peer's events with vector clocks. A delivery is matched with the oldest
 * unmatched send of the same type on the same directed link (WebSockets keep each link's order),
 * so the diagram draws an arrow from send to receive. Events of the cluster (faults) are left
 * out: they happen at no host.
 */
export function formatShiVizLog(entries: Iterable<SessionEntry>): string {
  return writeWhole(sessionWriter('shiviz'), entries);
}

/**
 * One export format, written an entry at a time: `head`, then `entry(e)` for each entry in
 * journal order, then `end()`. A writer keeps what the format must remember (dbg.log's first
 * tick, ShiViz's clocks and unmatched sends), never the entries.
 */
export interface SessionWriter {
  /** What comes before the first entry. */
  readonly head: string;
  /** What one entry adds ('' when the format leaves it out). */
  entry(entry: SessionEntry): string;
  /** What comes after the last entry. */
  end(): string;
}

export function sessionWriter(format: ExportFormat): SessionWriter {
  switch (format) {
    case 'ndjson':
      return { head: '', entry: formatNdjsonLine, end: () => '' };
    case 'text':
      return { head: '', entry: formatTextLine, end: () => '' };
    case 'dbg':
      return dbgWriter();
    case 'shiviz':
      return shiVizWriter();
  }
}

/** dbg.log as `formatDbgLog` writes it: the magic line, then a newline and each entry's text. */
function dbgWriter(): SessionWriter {
  let origin: number | undefined;
  return {
    head: `${DBG_LOG_MAGIC}\n`,
    entry({ event }) {
      origin ??= event.tick;
      const tick = Math.max(0, event.tick - origin);
      if (!('peer' in event)) return '';
      const text = dbgText({ ...event, tick } as JournalEvent);
      return text === undefined ? '' : `\n${dbgEntry(event.peer, tick, text)}`;
    },
    end: () => '',
  };
}

function shiVizWriter(): SessionWriter {
  const clocks = new Map<string, Record<string, number>>();
  const inFlight = new Map<string, Record<string, number>[]>();
  const clockOf = (host: string): Record<string, number> => {
    let clock = clocks.get(host);
    if (clock === undefined) {
      clock = {};
      clocks.set(host, clock);
    }
    return clock;
  };
  return {
    head: '',
    entry({ event }) {
      if (!('peer' in event)) return '';
      const host = event.peer;
      const clock = clockOf(host);
      if (event.kind === 'message.delivered') {
        const sent = inFlight.get(`${event.from}>${host}>${event.type}`)?.shift();
        if (sent !== undefined) for (const [peer, time] of Object.entries(sent)) clock[peer] = Math.max(clock[peer] ?? 0, time);
      }
      clock[host] = (clock[host] ?? 0) + 1;
      if (event.kind === 'message.sent') {
        const key = `${host}>${event.to}>${event.type}`;
        let queue = inFlight.get(key);
        if (queue === undefined) {
          queue = [];
          inFlight.set(key, queue);
        }
        if (queue.length >= SHIVIZ_IN_FLIGHT_PER_LINK_MAX) queue.shift();
        queue.push({ ...clock });
      }
      return `${host} ${JSON.stringify(clock)}\n${describeEvent(event).replace(/\n/g, ' ')}\n`;
    },
    end: () => '',
  };
}

/** A writer's whole output for `entries`: what a streaming export writes, in one string. */
function writeWhole(writer: SessionWriter, entries: Iterable<SessionEntry>): string {
  const parts = [writer.head];
  for (const entry of entries) parts.push(writer.entry(entry));
  parts.push(writer.end());
  return parts.join('');
}

export interface ParsedJournal {
  readonly entries: SessionEntry[];
  /** Lines that were not journal entries: their numbers and why (at most 20 kept). */
  readonly refused: { line: number; reason: string }[];
  readonly refusedCount: number;
}

/** Bad lines a journal reader reports, at most: it counts them all. */
export const REFUSED_LINES_KEPT = 20;

/** One NDJSON line as a journal entry, or why it is none. Blank lines are neither (undefined). */
export function parseJournalLine(text: string): { entry: SessionEntry } | { reason: string } | undefined {
  const line = text.trim();
  if (line === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { reason: 'not JSON' };
  }
  const parsed = sessionEntrySchema.safeParse(value);
  if (!parsed.success) return { reason: parsed.error.issues[0]?.message ?? 'not a journal entry' };
  return { entry: parsed.data };
}

/** Reads an NDJSON journal held whole in memory; bad lines are counted and reported, never fatal. */
export function parseJournal(text: string): ParsedJournal {
  const entries: SessionEntry[] = [];
  const refused: { line: number; reason: string }[] = [];
  let refusedCount = 0;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const parsed = parseJournalLine(lines[index] as string);
    if (parsed === undefined) continue;
    if ('entry' in parsed) {
      entries.push(parsed.entry);
      continue;
    }
    refusedCount++;
    if (refused.length < REFUSED_LINES_KEPT) refused.push({ line: index + 1, reason: parsed.reason });
  }
  return { entries, refused, refusedCount };
}

/** A session in one of the export formats. */
export function formatSession(entries: Iterable<SessionEntry>, format: ExportFormat): string {
  return writeWhole(sessionWriter(format), entries);
}

/** The file name an export is saved under by default. */
export function exportFileName(format: ExportFormat): string {
  switch (format) {
    case 'ndjson':
      return 'ringside-session.ndjson';
    case 'dbg':
      return 'dbg.log';
    case 'text':
      return 'ringside-session.txt';
    case 'shiviz':
      return 'ringside-session.shiviz.log';
  }
}
