/**
 * A real DHT peer's file transfer (the classroom's "send the file directly to the requester"): the
 * holder dials the requester's port on a connection of its own (handshake role `file`, see
 * `control.ts`), and then
 *
 *   holder → requester   { t: 'file', file, extension, bytes }   text: what follows
 *   holder → requester   binary frames, at most TRANSFER_CHUNK_BYTES each: the file's bytes
 *   holder → requester   { t: 'end' }                             text: that was all
 *   requester → holder   { t: 'saved' }                           text: saved whole, renamed
 *
 * The requester saves the bytes as `received_<file><extension>` and only then delivers the
 * `dht.file` message to its machine (which prints the spec's lines and acknowledges). It refuses a
 * file it did not request, or one larger than it said, by closing the connection with a reason.
 */
import { z } from 'zod';
import { fileNameSchema } from './dht.ts';

/** Bytes per binary frame: small enough to interleave, large enough to cost little per frame. */
export const TRANSFER_CHUNK_BYTES = 256 * 1024;

/** The largest file a peer sends or accepts. */
export const TRANSFER_BYTES_MAX = 16 * 1024 ** 3;

/**
 * What follows the four digits in the holder's file name (`.pdf`, `.tar.gz`, or nothing): the
 * requester puts it on the name it saves, so it can hold no path, no space and nothing odd.
 */
export const extensionSchema = z.string().regex(/^(?:\.[A-Za-z0-9_+-]{1,32}){0,4}$/, 'an extension is up to four .parts of letters, digits, _, + or -');

export const transferStartSchema = z.object({
  t: z.literal('file'),
  file: fileNameSchema,
  extension: extensionSchema,
  bytes: z.number().int().nonnegative().max(TRANSFER_BYTES_MAX),
});
export const transferEndSchema = z.object({ t: z.literal('end') });
export const transferSavedSchema = z.object({ t: z.literal('saved') });
export type TransferStart = z.infer<typeof transferStartSchema>;

/** WebSocket close codes a requester refuses a transfer with (the reason, in words, goes along). */
export const TRANSFER_REFUSED_CODE = 4003;

/** A file a holder can send, as it lies in its folder: four digits and an extension (`4103.pdf`). */
export const folderFileNameSchema = z
  .string()
  .regex(/^\d{4}(?:\.[A-Za-z0-9_+-]{1,32}){0,4}$/, 'a file in a peer\'s folder is named NNNN or NNNN.ext: four digits, then an extension of letters, digits, _, + or -');
