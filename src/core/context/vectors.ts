// Embedding vectors of chunks, for one model and one dimension: keyed by the hash of the text that
// was embedded (so an unchanged chunk is never embedded twice, and a renamed or re-indexed file
// costs nothing), stored per workspace in one binary file per (model, dimension). A file for another
// model or dimension, or one that does not parse, is simply not used: the index embeds again and
// never fails on it. Pure (the editor side reads and writes the bytes).
import { createHash } from 'node:crypto';

const MAGIC = 'OAVEC1\n';
/** Float32Array uses the machine's byte order; the file is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Bytes of a key on disk (the first 16 bytes of a SHA-256: 2^-64 collision odds at 4 billion chunks). */
export const HASH_BYTES = 16;

/** The key of a text: the first HASH_BYTES of its SHA-256, in hex (core/common/hash). */
export { textHash as contentHash } from '../common/hash';

/** The file name for the vectors of `model` (safe on every file system; the dimension is in the
 * file's header, and a file of another dimension is not used). */
export function vectorFileName(model: string): string {
  const slug = model.toLowerCase().replace(/[^a-z0-9.-]+/g, '_').slice(0, 60);
  return `vectors-${slug}-${createHash('sha256').update(model).digest('hex').slice(0, 8)}.bin`;
}

/** A vector scaled to length 1 (the zero vector stays zero). */
export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  if (!n || !Number.isFinite(n)) return v;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / n;
  return out;
}

/** The dot product (= cosine similarity of unit vectors). */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

/** Vectors (de)serialized between two pauses: ~2 MB of 768-dimension vectors, a few ms. */
const PAUSE_EVERY = 512;
const noPause = (): Promise<void> => Promise.resolve();

export class VectorStore {
  private readonly map = new Map<string, Float32Array>();

  constructor(readonly model: string, readonly dims: number) {}

  get size(): number { return this.map.size; }
  /** Bytes of vector data held. */
  get bytes(): number { return this.map.size * (this.dims * 4 + HASH_BYTES); }
  has(hash: string): boolean { return this.map.has(hash); }
  get(hash: string): Float32Array | undefined { return this.map.get(hash); }

  /** Stores a unit vector for `hash`. Throws RangeError for a vector of another dimension. */
  set(hash: string, v: Float32Array): void {
    if (v.length !== this.dims) throw new RangeError(`vector of ${v.length} dimensions in a store of ${this.dims}`);
    this.map.set(hash, v);
  }

  /** Keeps only the vectors of `hashes`; returns how many were dropped. */
  retain(hashes: ReadonlySet<string>): number {
    let n = 0;
    for (const k of this.map.keys()) if (!hashes.has(k)) { this.map.delete(k); n++; }
    return n;
  }

  /** The store as bytes: magic, header length (uint32 LE), header JSON, then per vector the key
   * (HASH_BYTES) and `dims` float32 LE. `pause` is awaited every PAUSE_EVERY vectors, so a large
   * store (17k x 768 dims is 52 MB) is written without holding the thread. */
  async serialize(pause: () => Promise<void> = noPause): Promise<Uint8Array> {
    const header = Buffer.from(JSON.stringify({ model: this.model, dims: this.dims, count: this.map.size }), 'utf8');
    const magic = Buffer.from(MAGIC, 'ascii');
    const rec = HASH_BYTES + this.dims * 4;
    const out = Buffer.allocUnsafe(magic.length + 4 + header.length + this.map.size * rec);
    let at = magic.copy(out, 0);
    at = out.writeUInt32LE(header.length, at);
    at += header.copy(out, at);
    let n = 0;
    for (const [k, v] of [...this.map]) {
      at += out.write(k, at, HASH_BYTES, 'hex');
      if (LITTLE_ENDIAN) { out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at); at += v.byteLength; }
      else for (let i = 0; i < v.length; i++) at = out.writeFloatLE(v[i]!, at);
      if (++n % PAUSE_EVERY === 0) await pause();
    }
    return out;
  }

  /** The store in `bytes` if it is one for `model` (at `dims`, when given), else undefined
   * (another model, another dimension, a truncated or foreign file, a value that is not finite).
   * Never throws. The vectors are views into one aligned copy of the data; `pause` is awaited
   * every PAUSE_EVERY vectors. */
  static async deserialize(bytes: Uint8Array, model: string, dims?: number, pause: () => Promise<void> = noPause): Promise<VectorStore | undefined> {
    try {
      const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (b.subarray(0, MAGIC.length).toString('ascii') !== MAGIC) return undefined;
      let at = MAGIC.length;
      const hl = b.readUInt32LE(at);
      at += 4;
      const h = JSON.parse(b.subarray(at, at + hl).toString('utf8')) as { model?: unknown; dims?: unknown; count?: unknown };
      at += hl;
      if (h.model !== model || typeof h.dims !== 'number' || !(h.dims > 0) || (dims !== undefined && h.dims !== dims) || typeof h.count !== 'number') return undefined;
      const d = h.dims;
      const rec = HASH_BYTES + d * 4;
      if (b.length !== at + h.count * rec) return undefined;
      const s = new VectorStore(model, d);
      // One aligned block for every vector (the file's records need not be 4-byte aligned).
      const all = new Float32Array(h.count * d);
      const all8 = new Uint8Array(all.buffer);
      for (let n = 0; n < h.count; n++) {
        const key = b.toString('hex', at, at + HASH_BYTES);
        at += HASH_BYTES;
        const v = all.subarray(n * d, (n + 1) * d);
        if (LITTLE_ENDIAN) all8.set(b.subarray(at, at + d * 4), n * d * 4);
        else for (let i = 0; i < d; i++) v[i] = b.readFloatLE(at + i * 4);
        at += d * 4;
        for (let i = 0; i < d; i++) if (!Number.isFinite(v[i]!)) return undefined;
        s.map.set(key, v);
        if ((n + 1) % PAUSE_EVERY === 0) await pause();
      }
      return s;
    } catch {
      return undefined;
    }
  }
}
