/**
 * The requester's end of a file transfer against a holder that misbehaves after the last byte: a
 * second `end`, or a connection that closes before `saved` goes back. The bytes are all there, so
 * the file is saved once and reported once, never "saved" and "nothing was saved" both.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileReceiver } from '../../src/peer/dht/file-receiver.ts';

class FakeSocket extends EventEmitter {
  readonly sent: string[] = [];
  send(text: string): void {
    this.sent.push(text);
  }
  close(): void {
    this.emit('close', 1000, Buffer.alloc(0));
  }
  terminate(): void {}
  pause(): void {}
  resume(): void {}
}

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function receive(): { socket: FakeSocket; folder: string; saved: ReturnType<typeof vi.fn>; failed: ReturnType<typeof vi.fn>; refused: ReturnType<typeof vi.fn> } {
  const folder = mkdtempSync(join(tmpdir(), 'ringside-receiver-'));
  folders.push(folder);
  const socket = new FakeSocket();
  const saved = vi.fn();
  const failed = vi.fn();
  const refused = vi.fn();
  new FileReceiver({ socket: socket as unknown as WebSocket, folder, wanted: (file) => file === '4103', onSaved: saved, onFailed: failed, onRefused: refused });
  socket.emit('message', Buffer.from(JSON.stringify({ t: 'file', file: '4103', extension: '.pdf', bytes: 5 })), false);
  socket.emit('message', Buffer.from('hello'), true);
  return { socket, folder, saved, failed, refused };
}

describe('a file receiver after the last byte', () => {
  it('saves once when the holder sends end twice', async () => {
    const { socket, folder, saved, failed } = receive();
    socket.emit('message', Buffer.from('{"t":"end"}'), false);
    socket.emit('message', Buffer.from('{"t":"end"}'), false);
    await vi.waitFor(() => expect(saved).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(saved).toHaveBeenCalledTimes(1);
    expect(failed).not.toHaveBeenCalled();
    expect(readFileSync(join(folder, 'received_4103.pdf'), 'utf8')).toBe('hello');
  });

  it('keeps the whole file when the holder goes before saved is sent', async () => {
    const { socket, folder, saved, failed } = receive();
    socket.emit('message', Buffer.from('{"t":"end"}'), false);
    socket.emit('close', 1006, Buffer.alloc(0));
    await vi.waitFor(() => expect(saved).toHaveBeenCalledTimes(1));
    expect(failed).not.toHaveBeenCalled();
    expect(readdirSync(folder)).toEqual(['received_4103.pdf']);
  });

  it('still drops a file the connection broke off before end', async () => {
    const { socket, folder, saved, failed } = receive();
    socket.emit('close', 1006, Buffer.alloc(0));
    await vi.waitFor(() => expect(failed).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(saved).not.toHaveBeenCalled();
    expect(readdirSync(folder)).toEqual([]);
  });
});
