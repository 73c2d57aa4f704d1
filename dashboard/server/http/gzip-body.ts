import { promisify } from 'node:util';
import { constants, crc32, deflateRaw } from 'node:zlib';

const deflateRawAsync = promisify(deflateRaw);

/**
 * Bodies from this size on are compressed for a client that accepts gzip; smaller ones go out as they are (a few KB
 * save too little for a trip to the thread pool).
 */
export const GZIP_FROM_BYTES = 32 * 1024;

/** Parts from this size on keep their compressed form for as long as the part itself lives (see `encodeBody`). */
const KEEP_FROM_BYTES = 16 * 1024;

/** gzip member header: magic, deflate, no flags, no time, no extra flags, unknown OS (RFC 1952). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff]);
/** A final, empty block with fixed codes: ends the deflate stream after parts that each ended in a sync flush. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/** The compressed form of parts that are kept and sent again (the per-group families, the per-machine series). */
const deflated = new WeakMap<Buffer, Promise<Buffer>>();

/** True when an Accept-Encoding header admits gzip: `gzip` or `*` listed, and not with `q=0`. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const entry of header.split(',')) {
    const [coding = '', ...params] = entry.split(';').map((s) => s.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/**
 * The body to send and its Content-Encoding: one gzip member when the client accepts it and the body is big enough,
 * else the parts as they are. Each part is deflated on its own (level 1, the fastest: exposition text shrinks ~20×;
 * on the thread pool, not the event loop) and ends in a sync flush, so the pieces join into one deflate stream. A big
 * part is deflated once for as long as it lives: the per-machine series and the per-group families are the same
 * Buffer from scrape to scrape until they change, so a scrape compresses only what is new (the registry's few KB).
 * So a part must never be changed in place once sent: a new body is a new Buffer.
 */
export async function encodeBody(parts: readonly Buffer[], acceptEncoding: string | undefined): Promise<{ parts: readonly Buffer[]; encoding?: 'gzip' }> {
  const size = parts.reduce((n, p) => n + p.length, 0);
  if (size < GZIP_FROM_BYTES || !acceptsGzip(acceptEncoding)) return { parts };
  const present = parts.filter((p) => p.length > 0);
  const segments = await Promise.all(present.map(deflatedPart));
  let crc = 0;
  for (const p of present) crc = crc32(p, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  return { parts: [GZIP_HEADER, ...segments, FINAL_EMPTY_BLOCK, trailer], encoding: 'gzip' };
}

function deflatedPart(part: Buffer): Promise<Buffer> {
  const kept = deflated.get(part);
  if (kept) return kept;
  const segment = deflateRawAsync(part, { level: 1, finishFlush: constants.Z_SYNC_FLUSH });
  if (part.length >= KEEP_FROM_BYTES) {
    deflated.set(part, segment);
    segment.catch(() => deflated.delete(part));
  }
  return segment;
}
