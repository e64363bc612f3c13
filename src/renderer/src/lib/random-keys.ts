/** Random keys and values for the bulk loader (the window's own randomness: no seed needed). */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomText(length: number): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let text = '';
  for (const byte of bytes) text += ALPHABET[byte % ALPHABET.length];
  return text;
}

/** `prefix` then 10 random characters: collisions are negligible for any loader run. */
export function randomKey(prefix: string): string {
  return `${prefix}${randomText(10)}`;
}
