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

/** The key of a text: the first HASH_BYTES of its SHA-256, in hex. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest().subarray(0, HASH_BYTES).toString('hex');
}

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
   * (HASH_BYTES) and `dims` float32 LE. */
  serialize(): Uint8Array {
    const header = Buffer.from(JSON.stringify({ model: this.model, dims: this.dims, count: this.map.size }), 'utf8');
    const magic = Buffer.from(MAGIC, 'ascii');
    const rec = HASH_BYTES + this.dims * 4;
    const out = Buffer.alloc(magic.length + 4 + header.length + this.map.size * rec);
    let at = magic.copy(out, 0);
    at = out.writeUInt32LE(header.length, at);
    at += header.copy(out, at);
    for (const [k, v] of this.map) {
      at += Buffer.from(k, 'hex').copy(out, at);
      if (LITTLE_ENDIAN) at += Buffer.from(v.buffer, v.byteOffset, v.byteLength).copy(out, at);
      else for (let i = 0; i < v.length; i++) at = out.writeFloatLE(v[i]!, at);
    }
    return out;
  }

  /** The store in `bytes` if it is one for `model` (at `dims`, when given), else undefined
   * (another model, another dimension, a truncated or foreign file). Never throws. */
  static deserialize(bytes: Uint8Array, model: string, dims?: number): VectorStore | undefined {
    try {
      const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (b.subarray(0, MAGIC.length).toString('ascii') !== MAGIC) return undefined;
      let at = MAGIC.length;
      const hl = b.readUInt32LE(at);
      at += 4;
      const h = JSON.parse(b.subarray(at, at + hl).toString('utf8')) as { model?: unknown; dims?: unknown; count?: unknown };
      at += hl;
      if (h.model !== model || typeof h.dims !== 'number' || !(h.dims > 0) || (dims !== undefined && h.dims !== dims) || typeof h.count !== 'number') return undefined;
      dims = h.dims;
      const rec = HASH_BYTES + dims * 4;
      if (b.length !== at + h.count * rec) return undefined;
      const s = new VectorStore(model, dims);
      for (let n = 0; n < h.count; n++) {
        const key = b.subarray(at, at + HASH_BYTES).toString('hex');
        at += HASH_BYTES;
        let v: Float32Array;
        if (LITTLE_ENDIAN) {
          // A copy (the file's bytes need not be 4-byte aligned), at memcpy speed.
          v = new Float32Array(b.buffer.slice(b.byteOffset + at, b.byteOffset + at + dims * 4));
          at += dims * 4;
        } else {
          v = new Float32Array(dims);
          for (let i = 0; i < dims; i++, at += 4) v[i] = b.readFloatLE(at);
        }
        if (!v.every(Number.isFinite)) return undefined;
        s.map.set(key, v);
      }
      return s;
    } catch {
      return undefined;
    }
  }
}
