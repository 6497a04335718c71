// The heavy half of text decoding, loaded only when a file is not UTF-8 or UTF-16: iconv-lite (the
// library VS Code itself decodes files with, with the tables of every legacy encoding VS Code offers)
// and jschardet 4 (a port of chardet 7: 99.4% right on its 3,138-file corpus where jschardet 3, the
// one VS Code bundles, gets 43%). Together they weigh about 1.5 MB, so esbuild builds this file as its
// own bundle (dist/codecs.js) and encoding.ts requires it on first use; activation never parses it.
import * as iconv from 'iconv-lite';
import { detectAll } from 'jschardet';

/** Decodes `bytes` with an iconv-lite encoding name; invalid sequences become U+FFFD. A BOM is not stripped. */
export function decode(bytes: Uint8Array, iconvName: string): string {
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), iconvName, { stripBOM: false });
}

/** Encodes `text` with an iconv-lite encoding name; characters the encoding lacks become `?` (iconv-lite's rule). */
export function encode(text: string, iconvName: string): Uint8Array {
  return new Uint8Array(iconv.encode(text, iconvName, { addBOM: false }));
}

export function exists(iconvName: string): boolean {
  return iconv.encodingExists(iconvName);
}

/**
 * jschardet's reading of `bytes`: `binary` when its best answer is no text encoding at all (it says
 * application/octet-stream for compressed or random data that has no zero byte), else its
 * candidates, best first, with its own names ("GB18030", "Big5", "CP932", "Windows-1252", "utf-8",
 * "ascii") and confidences in 0–1.
 */
export function detect(bytes: Uint8Array, maxBytes: number): { binary: boolean; candidates: Array<{ name: string; confidence: number }> } {
  const sample = bytes.byteLength > maxBytes ? bytes.subarray(0, maxBytes) : bytes;
  const all = detectAll(sample, { minimumThreshold: 0 });
  const best = all[0];
  const binary = !!best && best.encoding === null && typeof best.mimeType === 'string' && !best.mimeType.startsWith('text/');
  const candidates = all
    .filter((r): r is typeof r & { encoding: string } => typeof r.encoding === 'string')
    .map((r) => ({ name: r.encoding, confidence: r.confidence }));
  return { binary, candidates };
}
