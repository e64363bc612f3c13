/**
 * What a real peer's driver tells the machine about a file it could not deliver: the holder's
 * folder has no such file, or a transfer broke off. Each gives one clear line, at the holder and at
 * the requester, and nothing pretends the file arrived.
 */
import { describe, expect, it } from 'vitest';
import { DhtPeer } from '../../src/shared/dht/peer.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { MachineOutput } from '../../src/shared/machine.ts';
import type { DhtMessage } from '../../src/shared/protocol/dht.ts';
import { DhtCluster } from '../../src/shared/sim/dht-cluster.ts';

type Output = MachineOutput<DhtMessage, unknown>;

function consoleLines(outputs: readonly Output[]): string[] {
  return outputs.flatMap((output) => (output.kind === 'event' && output.event.kind === 'console' ? [(output.event as Extract<JournalEvent, { kind: 'console' }>).text] : []));
}

function sends(outputs: readonly Output[]): { to: string; message: DhtMessage }[] {
  return outputs.flatMap((output) => (output.kind === 'send' ? [{ to: output.to, message: output.message }] : []));
}

function started(identity: number, first: number, second: number): DhtPeer {
  const peer = new DhtPeer({ identity });
  peer.step({ kind: 'command', command: { type: 'dht.init', first, second } }, 0);
  return peer;
}

describe('a file a real peer cannot deliver', () => {
  it('the holder whose folder has no such file says so and tells the requester, who says so too', () => {
    const holder = started(8, 9, 14);
    const arrived = [...holder.step({ kind: 'receive', from: DhtCluster.address(5), message: { type: 'dht.request', file: '4103', owner: true, route: [2, 4, 5] } }, 1)];
    expect(consoleLines(arrived)).toEqual(['File 4103 is stored here', 'Sending file 4103 to Peer 2']);
    expect(sends(arrived)).toEqual([{ to: DhtCluster.address(2), message: { type: 'dht.file', file: '4103' } }]);

    const missing = [...holder.step({ kind: 'command', command: { type: 'dht.file-missing', file: '4103', requester: 2 } }, 2)];
    expect(consoleLines(missing)).toEqual(['File 4103 is not in my folder (no file named 4103 or 4103.*): nothing was sent to Peer 2']);
    expect(sends(missing)).toEqual([{ to: DhtCluster.address(2), message: { type: 'dht.file-missing', file: '4103' } }]);

    const requester = started(2, 4, 5);
    const told = requester.step({ kind: 'receive-bytes', from: DhtCluster.address(8), data: JSON.stringify({ type: 'dht.file-missing', file: '4103' }) }, 3);
    expect(consoleLines(told)).toEqual(['Peer 8 had File 4103, but not in its folder: nothing was received']);
    expect(sends(told)).toEqual([]);
  });

  it('says which end of a broken transfer it is, in one line, whatever the words it is given', () => {
    const peer = started(2, 4, 5);
    const sending = peer.step({ kind: 'command', command: { type: 'dht.transfer-failed', file: '4103', peer: 8, sending: true, detail: 'nothing listens\non 127.0.0.1:12008' } }, 1);
    expect(consoleLines(sending)).toEqual(['Sending file 4103 to Peer 8 failed: nothing listens on 127.0.0.1:12008']);
    const receiving = peer.step({ kind: 'command', command: { type: 'dht.transfer-failed', file: '4103', peer: 8, sending: false, detail: 'x'.repeat(1000) } }, 2);
    const [line] = consoleLines(receiving);
    expect(line?.startsWith('Receiving File 4103 from Peer 8 failed: xxx')).toBe(true);
    expect(line?.length).toBeLessThan(300);
  });

  it('ignores such news about a name that is no file or a peer that is no identity', () => {
    const peer = started(2, 4, 5);
    expect(peer.step({ kind: 'command', command: { type: 'dht.file-missing', file: 'a912', requester: 8 } }, 1)).toEqual([]);
    expect(peer.step({ kind: 'command', command: { type: 'dht.file-missing', file: '4103', requester: 256 } }, 1)).toEqual([]);
    expect(peer.step({ kind: 'command', command: { type: 'dht.transfer-failed', file: '4103', peer: -1, sending: true, detail: 'x' } }, 1)).toEqual([]);
  });
});
