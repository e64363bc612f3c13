/**
 * What a line typed at `ringside p2p demo` asks for: a line for one peer's console
 * (`8 Store 2067`, `9 Quit`), or something done to the ring (`kill 14`, `join 15 4`, …).
 */
import { InvalidArgumentError } from 'commander';
import { parseIdentity } from '../parse.ts';

export type DemoLine =
  /** `PEER TEXT`: TEXT goes to that peer's standard input, as if typed there. */
  | { readonly kind: 'type'; readonly peer: number; readonly text: string }
  /** `kill PEER`: Ctrl-C at that peer (it leaves telling no one). */
  | { readonly kind: 'kill'; readonly peer: number }
  /** `join PEER KNOWN`: `p2p join PEER KNOWN INTERVAL` as one more process. */
  | { readonly kind: 'join'; readonly peer: number; readonly known: number }
  /** `init PEER S1 S2`: `p2p init PEER S1 S2 INTERVAL` as one more process. */
  | { readonly kind: 'init'; readonly peer: number; readonly first: number; readonly second: number }
  | { readonly kind: 'peers' }
  | { readonly kind: 'help' }
  | { readonly kind: 'exit' }
  | { readonly kind: 'blank' }
  | { readonly kind: 'invalid'; readonly problem: string };

export const DEMO_HELP =
  'type: PEER Store NNNN | PEER Request NNNN | PEER Quit | kill PEER | join PEER KNOWN | init PEER S1 S2 | peers | help | exit (or Ctrl-C)';

export function parseDemoLine(line: string): DemoLine {
  const words = line.trim().split(/\s+/).filter((word) => word !== '');
  const [first, ...rest] = words;
  if (first === undefined) return { kind: 'blank' };
  const keyword = first.toLowerCase();
  try {
    if (/^\d+$/.test(first)) {
      if (rest.length === 0) return { kind: 'invalid', problem: `say what peer ${first} should do: ${first} Store NNNN, ${first} Request NNNN or ${first} Quit` };
      return { kind: 'type', peer: parseIdentity(first), text: rest.join(' ') };
    }
    if (keyword === 'kill' && rest.length === 1) return { kind: 'kill', peer: parseIdentity(rest[0] as string) };
    if (keyword === 'join' && rest.length === 2) return { kind: 'join', peer: parseIdentity(rest[0] as string), known: parseIdentity(rest[1] as string) };
    if (keyword === 'init' && rest.length === 3) {
      const [peer, successor, next] = rest.map(parseIdentity) as [number, number, number];
      return { kind: 'init', peer, first: successor, second: next };
    }
    if (rest.length === 0 && (keyword === 'peers' || keyword === 'help' || keyword === 'exit')) return { kind: keyword };
    if (rest.length === 0 && keyword === 'quit') return { kind: 'invalid', problem: 'to make a peer leave, type PEER Quit (such as 9 Quit); exit stops the demo' };
  } catch (error) {
    if (error instanceof InvalidArgumentError) return { kind: 'invalid', problem: error.message };
    throw error;
  }
  return { kind: 'invalid', problem: `"${line.trim()}" is not a demo command` };
}
