import { describe, expect, it } from 'vitest';
import { runScript, ScriptError } from '../../src/shared/sim/script.ts';

function errorOf(script: string): ScriptError {
  try {
    runScript(script);
  } catch (error) {
    if (error instanceof ScriptError) return error;
    throw error;
  }
  throw new Error('the script ran without an error');
}

const RING = ['kind dht', 'init 10 20 30 1', 'init 20 30 10 1', 'init 30 10 20 1'];

describe('the DHT scenario script language', () => {
  it('prints each console line as "[tick] peer N: line", and each start, quit and kill', () => {
    const result = runScript([...RING, 'tick 3', 'type 20 Store 0025', 'tick 3', 'type 30 Quit', 'tick 2', 'kill 20'].join('\n'));
    expect(result.failures).toBe(0);
    expect(result.transcript).toContain('  [0] peer 10 started');
    expect(result.transcript).toContain('  [0] peer 10: Ping requests sent to Peers 20 and 30');
    expect(result.transcript).toContain('  [4] peer 30: Store 0025 request accepted\n      (route 20 → 30, 1 hop)');
    expect(result.transcript).toContain('  [6] peer 30 left');
    expect(result.transcript).toContain('  [7] peer 20: Peer 30 will depart from the network');
    expect(result.transcript).toContain('  [8] peer 20 killed');
  });

  it('leaves ping lines out after "pings hide"', () => {
    const result = runScript([...RING, 'pings hide', 'tick 30'].join('\n'));
    expect(result.transcript).not.toContain('Ping');
  });

  it('counts a failed expectation and prints FAIL', () => {
    const result = runScript([...RING, 'tick 3', 'expect said 10 within 5: Peer 20 is no longer alive'].join('\n'));
    expect(result.failures).toBe(1);
    expect(result.transcript).toContain('FAIL: after 5 ticks, peer 10 did not say "Peer 20 is no longer alive"');
  });

  it('waits for the ring to heal, and says which peers disagree when it does not', () => {
    const healed = runScript([...RING, 'tick 3', 'kill 20', 'expect ring within 100'].join('\n'));
    expect(healed.failures).toBe(0);
    expect(healed.transcript).toMatch(/ok: ring 10 → 30 → 10 \(after \d+ ticks\)/);
    const broken = runScript([...RING, 'tick 3', 'kill 20', 'expect ring within 1'].join('\n'));
    expect(broken.transcript).toContain('FAIL: after 1 ticks, peers 10, 30 have wrong successors');
  });

  it('refuses what the classroom program would refuse, with the line number', () => {
    expect(errorOf('kind dht\ninit 300 1 2 30').message).toBe('line 2: 300 is out of range [0, 255]');
    expect(errorOf('kind dht\ninit 2 4 5').message).toContain('init PEER FIRST_SUCCESSOR SECOND_SUCCESSOR PING_INTERVAL_SECONDS');
    expect(errorOf([...RING, 'init 10 20 30 1'].join('\n')).message).toContain('peer 10 is already running');
    expect(errorOf([...RING, 'type 40 Store 1234'].join('\n')).message).toContain('peer 40 is not running');
    expect(errorOf([...RING, 'frobnicate'].join('\n')).message).toBe('line 5: unknown command "frobnicate"');
    expect(errorOf('kind dht\nset dht.pingIntervalTicksX 3').message).toContain('unknown setting');
    expect(errorOf('kind dht\nset dht.pingIntervalTicks 0').message).toContain('dht.pingIntervalTicks must be a whole number ≥ 1');
    expect(errorOf([...RING, 'seed 3'].join('\n')).message).toContain('must come before the first action');
  });

  it('takes "kind" only as the first command', () => {
    expect(errorOf('seed 1\nkind dht').message).toBe('line 2: "kind" must be the first command');
    expect(runScript('kind membership\npeers 2\nstart all\ntick 3').failures).toBe(0);
  });

  it('sets tunables and the tick length before the first start', () => {
    // 10 ms ticks: a 1 s interval is 100 ticks, so there is no second round by tick 50.
    const result = runScript(['kind dht', 'set tickMs 10', 'set dht.fingers 1', 'init 1 2 3 1', 'init 2 3 1 1', 'init 3 1 2 1', 'tick 50'].join('\n'));
    expect(result.transcript.match(/Ping requests sent/g)).toHaveLength(3);
  });
});
