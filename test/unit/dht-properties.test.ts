import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fileHash, ownerOf } from '../../src/shared/dht/placement.ts';
import { DhtCluster } from '../../src/shared/sim/dht-cluster.ts';
import { dhtScenario, runDhtChaos } from '../support/dht-chaos.ts';
import { wrongSuccessors } from '../support/dht-ring.ts';

describe('the circular DHT under joins, quits and kills (property)', () => {
  it('heals: every live peer’s two successors are the next two live peers on the circle', () => {
    fc.assert(
      fc.property(dhtScenario, (input) => {
        const { cluster } = runDhtChaos(input);
        expect(wrongSuccessors(cluster), `seed ${input.seed}`).toEqual([]);
      }),
      { numRuns: 200 },
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
      { numRuns: 150 },
    );
  });
});
