/**
 * A circular DHT peer's control endpoint: what a cluster manager (the window's backend) drives a
 * DHT peer through, after the same handshake as a key-value peer's control clients. It takes
 * `dhtControlCommandSchema`'s commands (inspect, subscribe, begin, type, leave) and answers each
 * request with its result or an error in words; a key-value command is told apart and refused.
 */
import {
  controlCommandSchema,
  DHT_CONTROL_COMMANDS,
  dhtControlRequestSchema,
  type DhtControlCommand,
  type DhtInspection,
  type DhtStart,
  type DhtTyped,
  type ReadyInfo,
  type TransportCounters,
} from '../../shared/protocol/control.ts';
import type { EventStream } from '../event-stream.ts';
import type { ControlChannel } from '../transport.ts';

/** What the endpoint needs of the peer it serves. */
export interface DhtControlTarget {
  inspect(): Promise<DhtInspection>;
  /** Enters the ring; throws (in words) if it has begun already. */
  begin(start: DhtStart): void;
  type(line: string): DhtTyped;
  quit(): void;
  readyInfo(): ReadyInfo;
}

const KV_COMMANDS: ReadonlySet<string> = new Set(controlCommandSchema.options.map((option) => option.shape.type.value));

export class DhtControl {
  readonly #target: DhtControlTarget;
  readonly #events: EventStream;
  readonly #counters: TransportCounters;

  constructor(target: DhtControlTarget, events: EventStream, counters: TransportCounters) {
    this.#target = target;
    this.#events = events;
    this.#counters = counters;
  }

  /** Serves one authenticated control connection. */
  accept(channel: ControlChannel): void {
    channel.onMessage((text) => {
      const { id, command, problem } = parseRequest(text);
      if (command === undefined) {
        this.#counters.framesRefused.invalid = (this.#counters.framesRefused.invalid ?? 0) + 1;
        channel.send(JSON.stringify({ t: 'res', id, ok: false, error: problem }));
        return;
      }
      if (command.type === 'subscribe') this.#events.subscribe(channel, command.messages);
      this.#run(command).then(
        (result) => channel.send(JSON.stringify({ t: 'res', id, ok: true, result })),
        (error: Error) => channel.send(JSON.stringify({ t: 'res', id, ok: false, error: error.message })),
      );
    });
  }

  async #run(command: DhtControlCommand): Promise<unknown> {
    switch (command.type) {
      case 'inspect':
        return this.#target.inspect();
      case 'subscribe':
        return this.#target.readyInfo();
      case 'begin':
        this.#target.begin(command.start);
        return { begun: command.start.type };
      case 'type':
        return this.#target.type(command.line);
      case 'leave':
        // Answer first: the peer stops once the goodbyes have left.
        setImmediate(() => this.#target.quit());
        return { leaving: true };
    }
  }
}

/** The request in a frame, or what is wrong with it (with the request's id when it has one). */
export function parseRequest(text: string): { id: number; command?: DhtControlCommand; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { id: 0, problem: 'invalid control request: not JSON' };
  }
  const object = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const id = Number.isSafeInteger(object.id) && (object.id as number) >= 0 ? (object.id as number) : 0;
  const type = typeof object.command === 'object' && object.command !== null ? (object.command as Record<string, unknown>).type : undefined;
  const commands = DHT_CONTROL_COMMANDS.join(', ');
  if (typeof type === 'string' && !(DHT_CONTROL_COMMANDS as readonly string[]).includes(type)) {
    return {
      id,
      problem: KV_COMMANDS.has(type)
        ? `'${type}' is a key-value command; this peer runs the circular DHT (commands: ${commands})`
        : `unknown command '${type.slice(0, 40)}' (a circular DHT peer takes: ${commands})`,
    };
  }
  const request = dhtControlRequestSchema.safeParse(value);
  if (!request.success) {
    const issue = request.error.issues[0];
    const where = issue !== undefined && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { id, problem: `invalid control request: ${where}${issue?.message ?? 'not a request'}` };
  }
  return { id: request.data.id, command: request.data.command, problem: '' };
}
