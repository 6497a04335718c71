// One content hash for the whole extension: the first 128 bits of SHA-256, in hex (32 characters).
// Used where a text is recognised again later (a resumed translation, a folder run's finished files,
// an embedding's key); 2^-64 collision odds at 4 billion texts.
import { createHash } from 'node:crypto';

/** The key of a text: the first 16 bytes of its SHA-256 (of its UTF-8), as 32 hex characters. */
export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
