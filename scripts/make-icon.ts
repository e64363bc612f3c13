/**
 * Draws the app icon, build/icon.png (512 × 512 RGBA): five peers on a ring, the one that is
 * suspected in amber, on the window's dark background. Node built-ins only: each pixel is
 * supersampled 4 × 4 for smooth edges, and the PNG is encoded with zlib.
 *
 *   npm run icon
 */
import { writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';

const SIZE = 512;
const SAMPLES = 4;

type Rgba = readonly [number, number, number, number];
type Shape = { readonly inside: (x: number, y: number) => boolean; readonly color: Rgba };

const hex = (value: string, alpha = 255): Rgba => [parseInt(value.slice(1, 3), 16), parseInt(value.slice(3, 5), 16), parseInt(value.slice(5, 7), 16), alpha];

const center = SIZE / 2;
const ringRadius = 152;
const distance = (x: number, y: number, cx: number, cy: number): number => Math.hypot(x - cx, y - cy);

function roundedSquare(inset: number, radius: number): (x: number, y: number) => boolean {
  const min = inset + radius;
  const max = SIZE - inset - radius;
  return (x, y) => {
    const dx = Math.max(min - x, 0, x - max);
    const dy = Math.max(min - y, 0, y - max);
    return x >= inset && x <= SIZE - inset && y >= inset && y <= SIZE - inset && Math.hypot(dx, dy) <= radius;
  };
}

const peers = Array.from({ length: 5 }, (_, index) => {
  const angle = -Math.PI / 2 + (index * 2 * Math.PI) / 5;
  return { x: center + ringRadius * Math.cos(angle), y: center + ringRadius * Math.sin(angle), suspect: index === 2 };
});

// Painted in order, each over the ones before.
const shapes: Shape[] = [
  { inside: roundedSquare(20, 104), color: hex('#101317') },
  { inside: (x, y) => Math.abs(distance(x, y, center, center) - ringRadius) <= 15, color: hex('#1f6feb') },
  ...peers.map((peer) => ({ inside: (x: number, y: number) => distance(x, y, peer.x, peer.y) <= 48, color: hex('#101317') })),
  ...peers.map((peer) => ({ inside: (x: number, y: number) => distance(x, y, peer.x, peer.y) <= 38, color: hex(peer.suspect ? '#d29922' : '#3fb950') })),
];

function pixel(px: number, py: number): Rgba {
  let [r, g, b, a] = [0, 0, 0, 0];
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      const x = px + (sx + 0.5) / SAMPLES;
      const y = py + (sy + 0.5) / SAMPLES;
      let color: Rgba = [0, 0, 0, 0];
      for (const shape of shapes) if (shape.inside(x, y)) color = shape.color;
      // Premultiplied, so transparent samples do not darken the edges.
      r += (color[0] * color[3]) / 255;
      g += (color[1] * color[3]) / 255;
      b += (color[2] * color[3]) / 255;
      a += color[3];
    }
  }
  const n = SAMPLES * SAMPLES;
  if (a === 0) return [0, 0, 0, 0];
  return [Math.round((r * 255) / a), Math.round((g * 255) / a), Math.round((b * 255) / a), Math.round(a / n)];
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function drawIcon(): Buffer {
  const rows = Buffer.alloc(SIZE * (1 + SIZE * 4));
  for (let y = 0; y < SIZE; y++) {
    const row = y * (1 + SIZE * 4);
    rows[row] = 0; // filter: none
    for (let x = 0; x < SIZE; x++) rows.set(pixel(x, y), row + 1 + x * 4);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter set, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const target = new URL('../build/icon.png', import.meta.url);
writeFileSync(target, drawIcon());
console.log(`wrote ${target.pathname}`);
