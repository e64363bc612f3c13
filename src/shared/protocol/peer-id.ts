import { z } from 'zod';

/**
 * Peer ids are addresses (`3.0.0.0:0`, `127.0.0.1:7001`, `[::1]:7001`, `peer-3`): a bounded
 * alphabet that never needs escaping in JSON or in the classroom log, so a message's encoded size
 * can be computed without encoding it.
 */
export const PEER_ID_LENGTH_MAX = 128;
export const peerIdSchema = z
  .string()
  .min(1)
  .max(PEER_ID_LENGTH_MAX)
  .regex(/^[A-Za-z0-9._:\-[\]]+$/, 'a peer id is an address: letters, digits and . _ : - [ ]');
