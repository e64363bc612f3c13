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

describe('the scenario script language', () => {
  it('counts a failed expectation and prints FAIL with the peers that disagree', () => {
    const result = runScript(['peers 4', 'start all', 'tick 10', 'crash 2', 'expect removed 2 by all within 3'].join('\n'));
    expect(result.failures).toBe(1);
    expect(result.transcript).toMatch(/FAIL: after 3 ticks, 2 not removed by 1,3-4/);
  });

  it('reports an unknown command with its line number', () => {
    const error = errorOf('peers 3\n\nfrobnicate 2');
    expect(error.line).toBe(3);
    expect(error.message).toBe('line 3: unknown command "frobnicate"');
  });

  it('refuses peer numbers outside the group', () => {
    expect(errorOf('peers 3\nstart 1-4').message).toContain('peers are numbered 1-3');
  });

  it('refuses a probability above one', () => {
    expect(errorOf('peers 3\nstart all\nloss 1.5').message).toContain('is not a probability');
  });

  it('refuses setup commands after the group has started', () => {
    expect(errorOf('peers 3\nstart all\nprotocol gossip').message).toContain('must come before the first action');
  });

  it('refuses a tunable that does not exist', () => {
    expect(errorOf('set swim.probeIntervalTicksX 3').message).toContain('unknown setting');
  });

  it('refuses to start a peer twice and to restart one that never ran', () => {
    expect(errorOf('peers 3\nstart all\nstart 2').message).toContain('already running');
    expect(errorOf('peers 3\nrestart 2').message).toContain('never ran');
  });

  it('applies protocol tunables set before the start', () => {
    // With TREMOVE = 8 a crashed peer is gone within 10 ticks; with the default 20 it is not.
    const script = (removeTicks: string): string =>
      [`protocol gossip`, `set gossip.removeTicks ${removeTicks}`, 'peers 4', 'start all', 'tick 10', 'crash 4', 'expect removed 4 by all within 10'].join('\n');
    expect(runScript(script('8')).failures).toBe(0);
    expect(runScript(script('20')).failures).toBe(1);
  });

  it('reads "start 10" before anything else as ten peers, all started', () => {
    const result = runScript('start 4\ntick 10\nexpect converged within 10\nmembers 4');
    expect(result.failures).toBe(0);
    expect(result.transcript).toContain('ok: 4 members agree');
    expect(result.transcript).toContain('4 (member): 1 alive inc 0, 2 alive inc 0, 3 alive inc 0, 4 alive inc 0');
  });

  it('reads "start 3" after "peers" as peer 3 alone', () => {
    const result = runScript('peers 4\nstart 1\nstart 3\ntick 10\nmembers 3\nmembers 2');
    expect(result.transcript).toContain('3 (member): 1 alive inc 0, 3 alive inc 0');
    expect(result.transcript).toContain('2: stopped');
  });

  it('ignores comments and blank lines', () => {
    const result = runScript('# a comment\n\npeers 2   # trailing comment\nstart all\ntick 5\n');
    expect(result.transcript.split('\n')[0]).toBe('> peers 2');
    expect(result.ticks).toBe(5);
  });
});
