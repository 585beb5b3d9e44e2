import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonlAppender } from '../../local/demo-model/evidence';

const tempFile = (name: string): string => path.join(mkdtempSync(path.join(tmpdir(), 'demo-evidence-')), 'nested', name);
const lines = (file: string): unknown[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);

describe('JsonlAppender', () => {
  it('returns from append at once and writes the line later, creating the directory', async () => {
    const file = tempFile('evidence.jsonl');
    const out = new JsonlAppender(file);
    out.append({ n: 1 });
    expect(out.pending).toBe(1);
    await out.flush();
    expect(lines(file)).toEqual([{ n: 1 }]);
  });

  it('keeps every line, in order, when many are appended and the appender is closed at once', async () => {
    const file = tempFile('many.jsonl');
    const out = new JsonlAppender(file);
    for (let n = 0; n < 500; n += 1) out.append({ n });
    await out.close();
    expect(lines(file)).toEqual(Array.from({ length: 500 }, (_, n) => ({ n })));
    expect(out.written).toBe(500);
  });

  it('refuses appends after close', async () => {
    const out = new JsonlAppender(tempFile('closed.jsonl'));
    await out.close();
    expect(() => out.append({ late: true })).toThrow(/append after close/);
  });

  it('keeps lines whose write failed, reports the error and writes them on a later flush', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'demo-evidence-'));
    const blocker = path.join(dir, 'not-a-dir');
    writeFileSync(blocker, 'a file where the directory should be');
    const errors: unknown[] = [];
    const out = new JsonlAppender(path.join(blocker, 'evidence.jsonl'), (e) => errors.push(e));
    out.append({ n: 1 });
    await expect(out.flush()).rejects.toThrow();
    expect(errors).toHaveLength(1);
    expect(out.pending).toBe(1);
  });
});
