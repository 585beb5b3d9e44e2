/**
 * A small reader of tar archives (already decompressed), enough for the
 * archives `git archive` and GitHub's tarball endpoint produce, and for
 * GNU tar's and POSIX pax output: 512-byte ustar headers, the ustar `prefix`
 * field, pax extended headers (`x`, for long paths and large sizes), pax
 * global headers (`g`, skipped), and GNU long names (`L`). Only regular
 * files are returned; folders, links and devices are skipped.
 */
import { FirebreakError } from '../core/errors';

/** One regular file of a tar archive. */
export interface TarFile {
  /** Its path in the archive, as stored (forward slashes; a folder of the archive's root stays at the front). */
  readonly path: string;
  /** Its bytes: a view into the archive's buffer, not a copy. */
  readonly content: Buffer;
}

/**
 * The bytes are not a tar archive this reader understands: a header whose
 * checksum does not match, a size that is not a number, an archive cut short.
 *
 * @example
 * throw new TarFormatError('header at byte 1024: checksum mismatch');
 */
export class TarFormatError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`tar archive: ${message}`, options);
  }
}

const BLOCK = 512;
/** Type flags of regular files: `0`, the pre-POSIX NUL, and `7` (contiguous file, read as a regular one). */
const REGULAR = new Set(['0', '\0', '7']);
/** Entries that describe the next one or the archive: pax extended (`x`) and global (`g`) headers, GNU long name (`L`) and long link name (`K`). */
const META = new Set(['x', 'g', 'L', 'K']);

/**
 * The regular files of an uncompressed tar archive, in archive order.
 *
 * A pax extended header (`x`) gives the next entry its `path` (and `size`,
 * for files over 8 GiB); a GNU `L` entry gives the next entry its long name;
 * otherwise the path is the ustar `prefix` and `name` joined by `/`. Reading
 * stops at the first all-zero block (or at the end of the bytes on a block
 * boundary).
 *
 * @throws TarFormatError when a header is damaged or the archive is cut short
 * @example
 * const files = readTar(gunzipSync(tarGz));
 * files[0]; // => { path: 'acme-records-1a2b3c4/corpus/case-0001.json', content: <Buffer …> }
 */
export function readTar(archive: Uint8Array): TarFile[] {
  const data = Buffer.isBuffer(archive) ? archive : Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const files: TarFile[] = [];
  /** What the pax or GNU entries before the next header say about it. */
  let next: { path?: string; size?: number } = {};
  for (let offset = 0; offset < data.length; ) {
    if (offset + BLOCK > data.length) throw new TarFormatError(`the archive ends inside the header at byte ${offset}`);
    const header = data.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    checkChecksum(header, offset);
    const type = String.fromCharCode(header[156]!);
    // A pax `size` is the next file's, not that of a pax or GNU entry between them.
    const own = number(header.subarray(124, 136), `size of the entry at byte ${offset}`);
    const size = META.has(type) ? own : (next.size ?? own);
    const start = offset + BLOCK;
    const end = start + size;
    if (end > data.length) throw new TarFormatError(`the archive ends inside the entry at byte ${offset} (${size} bytes announced)`);
    const content = data.subarray(start, end);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;

    switch (type) {
      case 'x':
        next = { ...next, ...paxOverrides(content, offset) };
        continue;
      case 'L':
        next = { ...next, path: text(content) };
        continue;
      case 'g': // pax global header (git archive puts the commit id there): nothing a file needs.
      case 'K': // GNU long link name: links are skipped.
        continue;
      default: {
        const path = next.path ?? headerPath(header);
        next = {};
        // An old-style (type NUL) folder is a name ending with a slash.
        if (REGULAR.has(type) && !(type === '\0' && path.endsWith('/'))) files.push({ path, content });
      }
    }
  }
  return files;
}

/** `prefix/name` of a ustar header; `name` alone for GNU and pre-POSIX headers, whose bytes 345… hold other fields. */
function headerPath(header: Buffer): string {
  const name = text(header.subarray(0, 100));
  const ustar = header.toString('latin1', 257, 263) === 'ustar\0';
  const prefix = ustar ? text(header.subarray(345, 500)) : '';
  return prefix === '' ? name : `${prefix}/${name}`;
}

/** A NUL-terminated (or full-length) UTF-8 field. */
function text(field: Buffer): string {
  const nul = field.indexOf(0);
  return field.toString('utf8', 0, nul < 0 ? field.length : nul);
}

/** An octal field (spaces or NULs around it), or GNU's base-256 form (first byte's high bit set) for large values. */
function number(field: Buffer, what: string): number {
  if ((field[0]! & 0x80) !== 0) {
    if ((field[0]! & 0x40) !== 0) throw new TarFormatError(`${what} is negative`);
    let value = field[0]! & 0x3f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`${what} is too large`);
    return value;
  }
  const digits = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  if (!/^[0-7]*$/.test(digits)) throw new TarFormatError(`${what} is not an octal number: "${digits}"`);
  return digits === '' ? 0 : parseInt(digits, 8);
}

/** The header's checksum field against the sum of its bytes with that field read as spaces (unsigned, or signed as some old tars wrote it). */
function checkChecksum(header: Buffer, offset: number): void {
  const stored = number(header.subarray(148, 156), `checksum of the header at byte ${offset}`);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i += 1) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i]!;
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  if (stored !== unsigned && stored !== signed) throw new TarFormatError(`the header at byte ${offset} is damaged (checksum ${stored}, computed ${unsigned})`);
}

/**
 * The `path` and `size` records of a pax extended header: records
 * `<length> <key>=<value>\n`, the length counting the whole record in bytes.
 */
function paxOverrides(content: Buffer, offset: number): { path?: string; size?: number } {
  const out: { path?: string; size?: number } = {};
  for (let at = 0; at < content.length; ) {
    const space = content.indexOf(0x20, at);
    const length = space < 0 ? NaN : Number(content.toString('latin1', at, space));
    if (!Number.isSafeInteger(length) || length <= space - at || at + length > content.length || content[at + length - 1] !== 0x0a) {
      // Some writers pad the extended header with NULs after its records.
      if (content.subarray(at).every((byte) => byte === 0)) break;
      throw new TarFormatError(`the pax extended header before byte ${offset} has a malformed record at byte ${at}`);
    }
    const record = content.subarray(space + 1, at + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals < 0) throw new TarFormatError(`the pax extended header before byte ${offset} has a record without "="`);
    const key = record.toString('utf8', 0, equals);
    const value = record.toString('utf8', equals + 1);
    if (key === 'path') out.path = value;
    else if (key === 'size') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new TarFormatError(`the pax extended header before byte ${offset} has a bad size "${value}"`);
      out.size = Number(value);
    }
    at += length;
  }
  return out;
}
