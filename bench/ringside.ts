/**
 * A Ringside cluster of real peer processes (`ClusterManager`), followed through its journal's
 * member events, as a `MembershipTarget` for `bench/cluster.ts`.
 */
import { ClusterManager, type ClusterOptions } from '../src/main/cluster/manager.ts';
import { READY_TIMEOUT_MS } from '../src/main/cluster/spawn.ts';
import { killQuietly, rssKb, sleep, track } from './children.ts';
import { ViewBook, type Belief, type MembershipTarget } from './views.ts';

const BELIEFS: Record<string, Belief> = {
  'member.added': 'alive',
  'member.alive': 'alive',
  'member.suspected': 'suspect',
  'member.removed': 'failed',
  'member.left': 'left',
};

export class RingsideCluster implements MembershipTarget {
  readonly system = 'Ringside';
  readonly size: number;
  readonly book = new ViewBook();
  readonly manager: ClusterManager;
  readonly #untrack: () => void;

  constructor(size: number, options: ClusterOptions = {}) {
    this.size = size;
    // No message events: journaling every message would cost the peers more than the protocol.
    this.manager = new ClusterManager({ messages: false, ...options });
    const manager = this.manager;
    this.#untrack = track({
      close: () => manager.shutdown({ graceful: false }),
      killSync: () => {
        for (const peer of manager.peers()) if (peer.managed) killQuietly(peer.pid);
      },
    });
    manager.journal.subscribe((entry) => {
      const event = entry.event;
      const belief = BELIEFS[event.kind];
      if (belief !== undefined && 'subject' in event) this.book.set(event.peer, event.subject, belief, entry.at);
    });
  }

  /** Why the first `start` failed, when it did and the missing peers were started again. */
  startProblem: string | undefined;

  /**
   * Starts the peers; resolves with how long that took (ms). On a loaded machine a peer may miss
   * the manager's ready timeout: then the others are let finish and the missing ones are added
   * one by one (and `startProblem` says so).
   */
  async start(): Promise<number> {
    const started = Date.now();
    try {
      await this.manager.start(this.size);
    } catch (error) {
      this.startProblem = (error as Error).message;
      // Spawns still in flight finish (or fail) within the ready timeout.
      await sleep(READY_TIMEOUT_MS + 1000);
      for (let attempt = 0; this.manager.runningPeers().length < this.size; attempt++) {
        if (attempt >= 2 * this.size) throw error;
        await this.manager.addPeer().catch(() => undefined);
      }
    }
    return Date.now() - started;
  }

  /** Waits until every running peer's ring state has every peer as an owner; when (ms since the epoch), or undefined. */
  async waitRingSettled(timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const states = [...(await this.manager.ringStates()).values()];
      if (states.length === this.size && states.every((state) => state.transition === undefined && state.entries.filter((entry) => entry.status === 'normal').length === this.size)) return Date.now();
      await sleep(50);
    }
    return undefined;
  }

  live(): string[] {
    return this.manager.runningPeers().map((peer) => peer.id);
  }

  ids(): string[] {
    return this.manager.peers().map((peer) => peer.id);
  }

  async kill(id: string): Promise<number> {
    this.book.forget(id);
    const at = Date.now();
    await this.manager.kill(id);
    return at;
  }

  async restart(id: string): Promise<void> {
    this.book.forget(id);
    try {
      await this.manager.restart(id);
    } catch {
      // Once more (a ready timeout on a loaded machine).
      this.book.forget(id);
      await this.manager.restart(id);
    }
  }

  async observed(): Promise<Map<string, Map<string, Belief>>> {
    const observed = new Map<string, Map<string, Belief>>();
    for (const [peer, members] of await this.manager.views()) {
      observed.set(peer, new Map(members.map((member) => [member.id, member.state === 'dead' ? 'failed' : member.state])));
    }
    return observed;
  }

  rss(): number[] {
    return this.manager
      .runningPeers()
      .map((peer) => rssKb(peer.pid))
      .filter((kb): kb is number => kb !== undefined);
  }

  async setLoss(loss: number): Promise<void> {
    await this.manager.setFaults({ loss });
  }

  async close(): Promise<void> {
    await this.manager.shutdown({ graceful: false });
    this.#untrack();
  }
}
