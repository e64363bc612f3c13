/**
 * What a driver hands a DHT peer: how it starts (the classroom's `p2p init` and `p2p join`) and
 * the lines typed on its console (`Store NNNN`, `Request NNNN`, `Quit`).
 */
export type DhtCommand =
  /** `p2p init PEER FIRST SECOND INTERVAL`: a founding member of the ring, its successors given. */
  | { readonly type: 'dht.init'; readonly first: number; readonly second: number }
  /** `p2p join PEER KNOWN INTERVAL`: join through a peer already in the ring. */
  | { readonly type: 'dht.join'; readonly known: number }
  /** `file` is what was typed: the peer checks it is a file name. */
  | { readonly type: 'dht.store'; readonly file: string }
  | { readonly type: 'dht.request'; readonly file: string }
  /** Leave gracefully; the driver stops the peer once the outputs are sent (see `dht.left`). */
  | { readonly type: 'dht.quit' }
  /** A typed line that is none of the above: the peer says what it accepts. */
  | { readonly type: 'dht.unknown'; readonly line: string }
  /**
   * From a real peer's driver, after the peer sent `dht.file` to `requester`: its folder has no
   * file of that name. The peer says so and tells the requester (nothing was sent).
   */
  | { readonly type: 'dht.file-missing'; readonly file: string; readonly requester: number }
  /**
   * From a real peer's driver: the transfer of `file` to (`sending`) or from `peer` broke off;
   * `detail` says why, in words. The peer says so.
   */
  | { readonly type: 'dht.transfer-failed'; readonly file: string; readonly peer: number; readonly sending: boolean; readonly detail: string };

/** The peer has left: deliver its last outputs, then stop it. */
export type DhtReply = { readonly type: 'dht.left' };

/** A line typed on a peer's console, as a command (case-insensitive keywords, any spacing). */
export function parseConsoleLine(line: string): DhtCommand {
  const words = line.trim().split(/\s+/);
  const keyword = (words[0] ?? '').toLowerCase();
  if (words.length === 2 && keyword === 'store') return { type: 'dht.store', file: words[1] as string };
  if (words.length === 2 && keyword === 'request') return { type: 'dht.request', file: words[1] as string };
  if (words.length === 1 && keyword === 'quit') return { type: 'dht.quit' };
  return { type: 'dht.unknown', line: line.trim() };
}
