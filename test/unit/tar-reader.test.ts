import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readTar, TarFormatError, type TarFile } from '../../lambdas/adapters/tar-reader';
import { writeTar } from '../support/fake-vendors-records';

const FIXTURES = path.resolve(__dirname, '../fixtures/tar');
const ROOT = 'acme-records-1a2b3c4';
const DEEP = `${ROOT}/corpus/${'a'.repeat(60)}/${'b'.repeat(60)}/${'d'.repeat(90)}.json`;
const VERY_DEEP = `${ROOT}/corpus/${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(60)}/${'d'.repeat(90)}.json`;
const CASE = '{"id":"case-0001","text":"café — ok"}\n';

function fixture(name: string): Buffer {
  return gunzipSync(readFileSync(path.join(FIXTURES, name)));
}

/** path → text of the files read. */
function texts(files: readonly TarFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.path, f.content.toString('utf8')]));
}

describe('readTar', () => {
  it('reads the regular files of a git archive, long paths from the ustar prefix and a pax header, skipping folders, links and the global header', () => {
    const files = readTar(fixture('git-archive.tar.gz'));
    expect(files.map((f) => f.path)).toEqual([`${ROOT}/README.md`, VERY_DEEP, DEEP, `${ROOT}/corpus/case-0001.json`, `${ROOT}/corpus/empty.json`]);
    expect(texts(files)).toEqual({
      [`${ROOT}/README.md`]: '# Records\n',
      [VERY_DEEP]: '{"id":"very-deep"}\n',
      [DEEP]: '{"id":"deep"}\n',
      [`${ROOT}/corpus/case-0001.json`]: CASE,
      [`${ROOT}/corpus/empty.json`]: '',
    });
  });

  it.each(['gnu.tar.gz', 'pax.tar.gz'])('reads a path longer than 255 bytes from %s as GNU tar writes it', (name) => {
    expect(texts(readTar(fixture(name)))).toEqual({
      [`${ROOT}/README.md`]: '# Records\n',
      [DEEP]: '{"id":"deep"}\n',
      [VERY_DEEP]: '{"id":"very-deep"}\n',
      [`${ROOT}/corpus/case-0001.json`]: CASE,
      [`${ROOT}/corpus/empty.json`]: '',
    });
  });

  it('joins the ustar prefix and name fields of a plain ustar archive', () => {
    expect(Object.keys(texts(readTar(fixture('ustar.tar.gz'))))).toEqual([`${ROOT}/README.md`, DEEP, `${ROOT}/corpus/case-0001.json`, `${ROOT}/corpus/empty.json`]);
  });

  it('reads a long path from a pax extended header, and the next entry goes back to its own name', () => {
    const long = `root/${'x'.repeat(200)}/${'y'.repeat(120)}.json`;
    const archive = writeTar(
      [
        { path: 'root', type: 'folder' },
        { path: long, content: Buffer.from('long\n') },
        { path: 'root/short.md', content: Buffer.from('short\n') },
      ],
      { longNames: 'pax', globalComment: 'f'.repeat(40) },
    );
    expect(texts(readTar(archive))).toEqual({ [long]: 'long\n', 'root/short.md': 'short\n' });
  });

  it('reads GNU long names, including multi-byte UTF-8 paths', () => {
    const long = `root/${'é'.repeat(80)}/case.json`;
    expect(texts(readTar(writeTar([{ path: long, content: Buffer.from('{}\n') }], { longNames: 'gnu' })))).toEqual({ [long]: '{}\n' });
  });

  it('takes the size of the next file from a pax header, not of a GNU long-name entry in between', () => {
    const entries = writeTar([
      { path: 'pax', content: Buffer.from('10 size=5\n') },
      { path: 'long', content: Buffer.from('root/five.txt\0') },
      { path: 'short', content: Buffer.alloc(0) },
    ]);
    entries[156] = 'x'.charCodeAt(0);
    rechecksum(entries, 0);
    entries[1024 + 156] = 'L'.charCodeAt(0);
    rechecksum(entries, 1024);
    // The file's own header says 0 bytes; the pax header says 5, and they follow it.
    const body = Buffer.alloc(512);
    body.write('hello');
    const archive = Buffer.concat([entries.subarray(0, 2560), body, Buffer.alloc(1024)]);
    expect(texts(readTar(archive))).toEqual({ 'root/five.txt': 'hello' });
  });

  it('stops at the first zero block, and accepts an archive without one that ends on a block boundary', () => {
    const archive = writeTar([{ path: 'a.md', content: Buffer.from('a\n') }]);
    expect(texts(readTar(Buffer.concat([archive, Buffer.from('garbage after the end')])))).toEqual({ 'a.md': 'a\n' });
    expect(texts(readTar(archive.subarray(0, 1024)))).toEqual({ 'a.md': 'a\n' });
    expect(readTar(Buffer.alloc(0))).toEqual([]);
  });

  it('hands out views into the archive, not copies', () => {
    const archive = writeTar([{ path: 'a.md', content: Buffer.from('a\n') }]);
    expect(readTar(archive)[0]!.content.buffer).toBe(archive.buffer);
  });

  it('refuses a damaged header', () => {
    const archive = writeTar([{ path: 'a.md', content: Buffer.from('a\n') }]);
    archive[0] = 'b'.charCodeAt(0);
    expect(() => readTar(archive)).toThrow(TarFormatError);
    expect(() => readTar(archive)).toThrow('the header at byte 0 is damaged');
  });

  it('refuses an archive cut inside an entry or a header', () => {
    const archive = writeTar([{ path: 'a.md', content: Buffer.alloc(2000, 0x61) }]);
    expect(() => readTar(archive.subarray(0, 1024))).toThrow('the archive ends inside the entry at byte 0');
    expect(() => readTar(archive.subarray(0, 300))).toThrow('the archive ends inside the header at byte 0');
  });

  it('refuses a malformed pax record', () => {
    const archive = writeTar([{ path: 'pax', content: Buffer.from('99 path=x\n') }, { path: 'a.md', content: Buffer.from('a\n') }]);
    archive[156] = 'x'.charCodeAt(0);
    rechecksum(archive, 0);
    expect(() => readTar(archive)).toThrow(/pax extended header .* malformed record/);
  });

  it('reads sizes written in base-256', () => {
    const archive = writeTar([{ path: 'a.md', content: Buffer.from('abc') }]);
    archive.fill(0, 124, 136);
    archive[124] = 0x80;
    archive[135] = 3;
    rechecksum(archive, 0);
    expect(texts(readTar(archive))).toEqual({ 'a.md': 'abc' });
  });
});

/** Writes the checksum of the header at `offset` again after a test changed it. */
function rechecksum(archive: Buffer, offset: number): void {
  const header = archive.subarray(offset, offset + 512);
  header.fill(0x20, 148, 156);
  const sum = header.reduce((total, byte) => total + byte, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}
