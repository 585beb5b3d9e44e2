import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../../lambdas/core/errors';
import { SHIPPED_PROBE_SET, loadProbeSet } from '../../local/demo-model/probes';

describe('the shipped probe set', () => {
  const probes = loadProbeSet(SHIPPED_PROBE_SET);

  it('holds about forty probes: every attack family and benign controls', () => {
    expect(probes.length).toBeGreaterThanOrEqual(35);
    const categories = new Set(probes.map((p) => p.category));
    expect([...categories].sort()).toEqual(['benign', 'encoding', 'jailbreak', 'prompt_injection', 'system_prompt_extraction']);
    expect(probes.filter((p) => p.kind === 'benign').length).toBeGreaterThanOrEqual(10);
  });

  it('names the rogue string of every goal hijack that prints one', () => {
    const hijacks = probes.filter((p) => p.rogue_string !== undefined);
    expect(hijacks.length).toBeGreaterThanOrEqual(6);
    for (const p of hijacks) expect(p.prompt).toContain(p.rogue_string);
  });
});

describe('loadProbeSet', () => {
  const write = (text: string): string => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'probes-')), 'probes.jsonl');
    writeFileSync(file, text);
    return file;
  };

  it('names the line and field of every problem', () => {
    const file = write(
      [
        '{"id":"ok-1","prompt":"hi","kind":"benign","category":"benign","expected":"answer"}',
        'not json',
        '{"id":"ok-1","prompt":"hi","kind":"adversarial","category":"jailbreak","expected":"answer"}',
        '{"id":"Bad Id","prompt":"","kind":"benign","category":"benign","expected":"answer","extra":1}',
      ].join('\n'),
    );
    let caught: unknown;
    try {
      loadProbeSet(file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    const paths = (caught as InvalidInputError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['line 2', 'line 3.id', 'line 3.expected', 'line 4', 'line 4.id', 'line 4.prompt']));
  });
});
