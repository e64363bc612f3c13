/**
 * Exports a register history for the established checkers, so a user can check Ringside's verdict
 * with someone else's code. For `ringside check --export`, which writes the text to a file and
 * prints `howToCheckExport(format)`.
 *
 * Jepsen EDN (`historyToJepsenEdn`), for Knossos and elle-cli: one map per line, invoke and
 * completion entries in time order, `:time` in nanoseconds, `:f` :read or :write (a delete is a
 * write of nil), `:type` :invoke, :ok, :fail or :info. With `{ key }` it writes that key alone with
 * plain values (`:value "A"`), which both command-line tools check as one register; without, every
 * key with Jepsen's `jepsen.independent` tuples (`:value ["k" "A"]`). Knossos treats a process
 * whose operation ended :info as crashed forever, so, as Jepsen does, a client's operations after
 * an :info carry a new process number (process + number of clients).
 *
 * The commands, as their sources give them (knossos at 9b2c79e, elle-cli at 0e3fd6e, porcupine at
 * 55508eb):
 * - Knossos, github.com/jepsen-io/knossos, README "At the command line" and src/knossos/cli.clj
 *   (models register, cas-register, mutex; algorithms competition, wgl, linear):
 *     lein run --model register history-k.edn
 *   prints the file name, the analysis, and true, false or :unknown.
 * - elle-cli, github.com/ligurio/elle-cli (0.1.9), README "Usage" and src/elle_cli/cli.clj: built
 *   with `lein uberjar`; it has no plain register model, and cas-register runs Knossos' competition
 *   analysis with a register that reads and writes exactly like `register`:
 *     java -jar target/elle-cli-0.1.9-standalone.jar --model cas-register history-k.edn
 *   prints "<file> <tab> true|false|unknown" and exits 1 when a file is invalid.
 * Caveats, from the same sources: Knossos' register accepts any read of nil (`(nil? (:value op))`
 * means "we don't know what the read was", src/knossos/model.clj), so reads of absent keys are
 * not judged there; both command-line tools run one register over the whole file, so they need the
 * per-key files; `jepsen.independent/checker` recognises a tuple only as a clojure.lang.MapEntry,
 * which an EDN reader gives back as a plain vector, so the all-keys file needs its values turned
 * back into tuples (`jepsen.independent/tuple`) inside Jepsen before that checker splits it, or
 * the short script in `KNOSSOS_ALL_KEYS_SCRIPT`, which splits it by key itself.
 * An EDN history is one total order, so equal times need a choice: invocations first (touching
 * operations stay concurrent), except that a client's next invocation follows its own completion
 * at that instant. When two clients each chain operations at one instant, that order makes one
 * client's completion precede the other's invocation: Knossos can then be stricter than Ringside.
 * Checked: Knossos' WGL (knossos.wgl/analysis, model/register) on 5,230 per-key exports of random
 * histories agreed with Ringside except on nil reads (see above) and one such double chain.
 *
 * Porcupine JSON (`historyToPorcupineJson`), for github.com/anishathalye/porcupine's Go API: an
 * array of `{ clientId, input: { op, key, value }, call, output: { value, exists }, return }`,
 * times in nanoseconds. Porcupine has no fail or info: failed operations and info reads are left
 * out (they did not happen or constrain nothing), and an info write or delete gets
 * `return` = 9223372036854775807 (Go's math.MaxInt64, written as an exact integer), the usual way
 * to give an operation that never returned an open-ended interval in `porcupine.Operation`
 * (Porcupine's own test of Jepsen's etcd logs instead appends their return events after all
 * others, which is the same). Intervals are closed in Porcupine, and it knows nothing of clients'
 * own order, so at equal times it is more permissive than Ringside. A Go program that checks such
 * a file is `PORCUPINE_PROGRAM`; on 2,300 random histories it agreed with Ringside except where a
 * client's operations touched (Porcupine said linearizable).
 */
import { registerHistoryFromJson, type RegisterHistory, type RegisterOperation } from './register-history.ts';

export { registerHistoryFromJson };

export const EXPORT_FORMATS = ['jepsen-edn', 'porcupine-json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Go's math.MaxInt64: the `return` of an operation that never returned, in Porcupine JSON. */
export const PORCUPINE_NEVER_RETURNED = '9223372036854775807';

const NANOSECONDS_PER_MILLISECOND = 1_000_000;

export interface JepsenEdnOptions {
  /** Export this key alone, with plain values, for the command-line checkers. */
  readonly key?: string;
}

interface EdnEvent {
  readonly operation: RegisterOperation;
  readonly completion: boolean;
  readonly timeNanoseconds: number;
  readonly process: number;
}

export function historyToJepsenEdn(history: RegisterHistory, options: JepsenEdnOptions = {}): string {
  const { processOf, chained } = jepsenProcesses(history);
  const events: EdnEvent[] = [];
  for (const operation of history.operations) {
    if (options.key !== undefined && operation.key !== options.key) continue;
    const process = processOf.get(operation.id) as number;
    events.push({ operation, completion: false, timeNanoseconds: nanoseconds(operation.invokeMs), process });
    events.push({ operation, completion: true, timeNanoseconds: nanoseconds(operation.completeMs), process });
  }
  // Time order. At one instant: invocations first, so operations whose times touch stay
  // concurrent (closed intervals, as Ringside judges them); then each invocation whose process
  // finished its previous operation at that very instant, right after that completion (the
  // client waited for the answer); then the other completions.
  const rank = (event: EdnEvent): number => (event.completion ? 2 : chained.has(event.operation.id) ? 1 : 0);
  events.sort((first, second) => first.timeNanoseconds - second.timeNanoseconds || rank(first) - rank(second) || first.operation.id - second.operation.id);
  const ordered: EdnEvent[] = [];
  const open = new Map<number, EdnEvent>();
  const completionOf = new Map<number, EdnEvent>();
  for (const event of events) if (event.completion) completionOf.set(event.operation.id, event);
  const emitted = new Set<number>();
  for (const event of events) {
    if (event.completion) {
      if (emitted.has(event.operation.id)) continue;
      emitted.add(event.operation.id);
      open.delete(event.process);
      ordered.push(event);
      continue;
    }
    const running = open.get(event.process);
    if (running !== undefined) {
      // Only an operation completed at this same instant can still be open here.
      emitted.add(running.operation.id);
      ordered.push(completionOf.get(running.operation.id) as EdnEvent);
    }
    open.set(event.process, event);
    ordered.push(event);
  }
  return ordered.map((event, index) => ednLine(event, index, options.key === undefined)).join('');
}

/**
 * Jepsen's process numbers: a client's own number until one of its operations ends :info, then
 * that number plus the number of clients, and so on (Knossos never lets a crashed process invoke again).
 */
function jepsenProcesses(history: RegisterHistory): { processOf: Map<number, number>; chained: Set<number> } {
  let clients = 0;
  for (const operation of history.operations) clients = Math.max(clients, operation.process + 1);
  const byClient = new Map<number, RegisterOperation[]>();
  for (const operation of history.operations) {
    let list = byClient.get(operation.process);
    if (list === undefined) byClient.set(operation.process, (list = []));
    list.push(operation);
  }
  const processOf = new Map<number, number>();
  /** Operations invoked at the instant their process's previous operation completed. */
  const chained = new Set<number>();
  for (const [client, operations] of byClient) {
    let crashes = 0;
    let previous: RegisterOperation | undefined;
    for (const operation of operations.sort((first, second) => first.invokeMs - second.invokeMs || first.id - second.id)) {
      processOf.set(operation.id, client + crashes * clients);
      if (previous !== undefined && previous.outcome !== 'info' && nanoseconds(previous.completeMs) === nanoseconds(operation.invokeMs)) chained.add(operation.id);
      if (operation.outcome === 'info') crashes++;
      previous = operation;
    }
  }
  return { processOf, chained };
}

function ednLine(event: EdnEvent, index: number, tuples: boolean): string {
  const { operation } = event;
  const type = event.completion ? operation.outcome : 'invoke';
  const f = operation.kind === 'read' ? 'read' : 'write';
  // A read's invocation does not know its value; a read that is not ok never learnt it.
  const shown = operation.kind === 'read' ? (event.completion && operation.outcome === 'ok' ? operation.value : undefined) : operation.kind === 'write' ? operation.value : undefined;
  const value = tuples ? `[${ednString(operation.key)} ${ednValue(shown)}]` : ednValue(shown);
  const error = event.completion && operation.error !== undefined && operation.outcome !== 'ok' ? `, :error ${ednString(operation.error)}` : '';
  return `{:index ${index}, :time ${event.timeNanoseconds}, :type :${type}, :process ${event.process}, :f :${f}, :value ${value}${error}}\n`;
}

function ednValue(value: string | undefined): string {
  return value === undefined ? 'nil' : ednString(value);
}

/**
 * An EDN string literal: the escapes EDN defines (\" \\ \n \t \r), and \uXXXX, which Clojure's EDN
 * reader also reads, for other control characters and for halves of surrogate pairs standing alone.
 */
export function ednString(text: string): string {
  let literal = '"';
  for (const character of text) {
    const code = character.codePointAt(0) as number;
    if (character === '"') literal += '\\"';
    else if (character === '\\') literal += '\\\\';
    else if (character === '\n') literal += '\\n';
    else if (character === '\t') literal += '\\t';
    else if (character === '\r') literal += '\\r';
    else if (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff)) literal += `\\u${code.toString(16).padStart(4, '0')}`;
    else literal += character;
  }
  return `${literal}"`;
}

/** Porcupine's `[]porcupine.Operation` as JSON, one operation a line, by call time. */
export function historyToPorcupineJson(history: RegisterHistory): string {
  const kept = history.operations
    .filter((operation) => operation.outcome !== 'fail' && !(operation.kind === 'read' && operation.outcome !== 'ok'))
    .sort((first, second) => first.invokeMs - second.invokeMs || first.id - second.id);
  const lines = kept.map((operation) => {
    const input = { op: operation.kind, key: operation.key, value: operation.kind === 'write' ? (operation.value as string) : null };
    const read = operation.kind === 'read';
    const output = { value: read && operation.value !== undefined ? operation.value : null, exists: read && operation.value !== undefined };
    const returned = operation.outcome === 'info' ? PORCUPINE_NEVER_RETURNED : String(nanoseconds(operation.completeMs));
    return `{"clientId":${operation.process},"input":${JSON.stringify(input)},"call":${nanoseconds(operation.invokeMs)},"output":${JSON.stringify(output)},"return":${returned}}`;
  });
  return lines.length === 0 ? '[]\n' : `[\n${lines.join(',\n')}\n]\n`;
}

function nanoseconds(milliseconds: number): number {
  const value = Math.round(milliseconds * NANOSECONDS_PER_MILLISECOND);
  if (!Number.isSafeInteger(value)) throw new Error(`${milliseconds} ms is too far in the run to export in nanoseconds`);
  return value;
}

/**
 * A Go program that checks a Porcupine JSON export (`go run check.go history.json`, in a module
 * that requires github.com/anishathalye/porcupine). Prints true when the history is linearizable.
 */
export const PORCUPINE_PROGRAM = `package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/anishathalye/porcupine"
)

type input struct {
	Op, Key string
	Value   *string
}
type output struct {
	Value  *string
	Exists bool
}
type recorded struct {
	ClientId     int
	Input        input
	Call, Return int64
	Output       output
}
type register struct {
	value  string
	exists bool
}

func main() {
	text, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var operations []recorded
	if err := json.Unmarshal(text, &operations); err != nil {
		panic(err)
	}
	history := make([]porcupine.Operation, len(operations))
	for i, o := range operations {
		history[i] = porcupine.Operation{ClientId: o.ClientId, Input: o.Input, Call: o.Call, Output: o.Output, Return: o.Return}
	}
	model := porcupine.Model{
		Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
			byKey := map[string][]porcupine.Operation{}
			var keys []string
			for _, o := range history {
				key := o.Input.(input).Key
				if _, seen := byKey[key]; !seen {
					keys = append(keys, key)
				}
				byKey[key] = append(byKey[key], o)
			}
			partitions := make([][]porcupine.Operation, len(keys))
			for i, key := range keys {
				partitions[i] = byKey[key]
			}
			return partitions
		},
		Init: func() interface{} { return register{} },
		Step: func(state, in, out interface{}) (bool, interface{}) {
			current, i, o := state.(register), in.(input), out.(output)
			switch i.Op {
			case "write":
				return true, register{*i.Value, true}
			case "delete":
				return true, register{}
			default:
				return o.Exists == current.exists && (!o.Exists || *o.Value == current.value), current
			}
		},
	}
	fmt.Println(porcupine.CheckOperations(model, history))
}
`;

/**
 * A Clojure script that checks every key of an all-keys EDN export with Knossos' WGL search and
 * its register model, printing each key and true, false or :unknown. Run from a Knossos clone:
 * `lein run -m clojure.main check-keys.clj history.edn` (checked here with Knossos' sources on the
 * class path: `java -cp <knossos/src and its dependencies> clojure.main check-keys.clj history.edn`).
 */
export const KNOSSOS_ALL_KEYS_SCRIPT = `(require '[clojure.edn :as edn] '[clojure.java.io :as io]
         '[knossos.wgl :as wgl] '[knossos.model :as model] '[knossos.history :as history])
(let [ops (with-open [r (java.io.PushbackReader. (io/reader (first *command-line-args*)))]
            (doall (take-while some? (repeatedly #(edn/read {:eof nil} r)))))]
  (doseq [[k sub] (sort-by key (group-by (comp first :value) ops))]
    (println k (:valid? (wgl/analysis (model/register)
                                      (history/parse-ops (mapv #(update % :value second) sub)))))))
(shutdown-agents)
`;

/** What the command line prints after an export: how to check the file with the tool it is for. */
export function howToCheckExport(format: ExportFormat): string {
  if (format === 'jepsen-edn') {
    return [
      'Each per-key file holds one register; check it with Knossos or elle-cli.',
      '',
      'Knossos (github.com/jepsen-io/knossos: README "At the command line", src/knossos/cli.clj), in a clone:',
      '  lein run --model register history-<key>.edn',
      '  prints the file, the analysis, then true, false or :unknown.',
      '',
      'elle-cli (github.com/ligurio/elle-cli: README "Usage", src/elle_cli/cli.clj), after `lein uberjar` in a clone;',
      'it has no plain register model, and cas-register reads and writes exactly as a register does:',
      '  java -jar target/elle-cli-0.1.9-standalone.jar --model cas-register history-<key>.edn',
      '  prints "<file>  true|false|unknown" and exits 1 when a history is invalid.',
      '',
      "The all-keys file uses jepsen.independent's [key value] tuples. Save this as check-keys.clj in a",
      'Knossos clone and run `lein run -m clojure.main check-keys.clj history.edn`:',
      '',
      KNOSSOS_ALL_KEYS_SCRIPT,
      'Knossos accepts any read of nil, so reads of absent or deleted keys are judged by Ringside alone.',
    ].join('\n');
  }
  return [
    'Check it with Porcupine (github.com/anishathalye/porcupine), partitioned by key:',
    '  mkdir check && cd check && go mod init check && go get github.com/anishathalye/porcupine',
    '  save the program below as check.go, then: go run check.go history.json   (prints true when linearizable)',
    '',
    PORCUPINE_PROGRAM,
  ].join('\n');
}
