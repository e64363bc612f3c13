import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fileHash, ownerOf } from '../../src/shared/dht/placement.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { DhtCluster } from '../../src/shared/sim/dht-cluster.ts';
import { dhtScenario, REPAIR_WINDOW_TICKS, runDhtChaos } from '../support/dht-chaos.ts';
import { wrongSuccessors } from '../support/dht-ring.ts';

// Files: the classroom moves no files. Here a peer hands its files to its first successor when it
// quits, and a peer hands a new predecessor the files it now owns, so every file a live peer holds
// is at its owner once the ring has healed. A killed peer's files are lost with it, as in the
// classroom: the second property checks only files some live peer holds, and that none is lost
// in a run without a kill.

/**
 * `Peer X is no longer alive` lines about a peer that was up all along: X had not crashed or left
 * by then, nor within the repair window before (a peer killed and started again at once is rightly
 * declared gone: its old life is).
 */
function falseDetections(events: readonly JournalEvent[]): string[] {
  const downSince = new Map<string, number>();
  const wrong: string[] = [];
  for (const event of events) {
    if (event.kind === 'peer.crashed' || event.kind === 'peer.left') downSince.set(event.peer, event.tick);
    if (event.kind !== 'console') continue;
    const gone = /^Peer (\d+) is no longer alive$/.exec(event.text);
    const down = gone === null ? undefined : downSince.get(DhtCluster.address(Number(gone[1])));
    if (gone !== null && (down === undefined || event.tick - down > REPAIR_WINDOW_TICKS)) wrong.push(`${event.tick}: ${event.peer} ${event.text}`);
  }
  return wrong;
}

describe('the circular DHT under joins, quits and kills (property)', () => {
  it('heals: every live peer’s two successors are the next two live peers on the circle; no live peer is declared gone', () => {
    fc.assert(
      fc.property(dhtScenario, (input) => {
        const { cluster, events } = runDhtChaos(input);
        expect(wrongSuccessors(cluster), `seed ${input.seed}`).toEqual([]);
        expect(falseDetections(events)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('finds every stored file from every peer, at its owner; only a killed peer loses files', () => {
    fc.assert(
      fc.property(dhtScenario, (input) => {
        const { cluster, said, killed } = runDhtChaos(input);
        const running = cluster.running();
        const stored = new Set(said.filter((event) => event.text.endsWith(' request accepted')).map((event) => event.lookup?.file as string));
        for (const file of stored) {
          const holders = running.filter((identity) => cluster.machine(identity)?.files().includes(file));
          if (holders.length === 0) {
            // Files stay where they were accepted or handed; a kill loses the killed peer's.
            expect(killed, `file ${file} lost without a kill (seed ${input.seed})`).toBe(true);
            continue;
          }
          const owner = ownerOf(fileHash(file), running) as number;
          expect(holders, `file ${file} (hash ${fileHash(file)}) on the ring ${running.join(',')}`).toEqual([owner]);

          // A Request from every live peer at once reaches the holder, which sends the file back.
          const since = said.length;
          for (const requester of running) cluster.request(requester, file);
          cluster.runUntil(cluster.now + running.length + 4);
          const answers = said.slice(since);
          for (const requester of running) {
            const found = answers.find((event) => event.text === `File ${file} is stored here` && event.lookup?.route[0] === requester);
            expect(found?.peer, `Request ${file} from ${requester}`).toBe(DhtCluster.address(owner));
            if (requester !== owner) {
              expect(answers.some((event) => event.peer === DhtCluster.address(requester) && event.text === `File ${file} received`)).toBe(true);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
