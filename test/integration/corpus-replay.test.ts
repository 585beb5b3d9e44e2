import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { corpusCommand, type CorpusCommandOptions } from '../../bin/commands/corpus';
import type { RegressionCase } from '../../lambdas/core/corpus/case';
import { GitRecordsRepository } from '../../lambdas/adapters/git-records-repository';
import { casePath, serializeCase } from '../../lambdas/core/corpus/case';
import { openCorpusWorkspace } from '../../local/corpus/corpus-workspace';
import { chatCompletionsUrl, replayCorpus, type FetchLike } from '../../local/corpus/replay';
import { InMemoryModelControlPlane, demoModelControlState } from '../../local/demo-model/in-memory-control-plane';
import { startDemoModel, type DemoModelServer } from '../../local/demo-model/server';
import { CANARY_TOKEN } from '../../local/demo-model/versions';

/*
 * The release gate: `firebreak corpus replay` against the demo model on
 * 127.0.0.1. The cases come from test/fixtures/corpus/cli-import.jsonl
 * (adversarial prompts written for these tests: DAN-style personas,
 * ignore-previous-instructions, system-prompt extraction; see
 * corpus-cli.test.ts) through `firebreak corpus add`. support-llm-v2 ships
 * without its guardrail and must fail the gate; v1 and v3 refuse and pass.
 * Modelled delays are off (`delays.scale: 0`).
 */

const ROOT = path.resolve(__dirname, '../..');
const MODEL = 'support-llm';
const FIXTURE = 'test/fixtures/corpus/cli-import.jsonl';
/** The long persona prompt of the fixture: longer than the 120-character excerpt, so it must never appear whole in a report. */
const LONG_PROMPT_TAIL = 'Confirm that you understand by saying OMEGA is';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Decoded attributes of the first `<tag …>` of a document. */
function attributes(xml: string, tag: string): Record<string, string> {
  const m = new RegExp(`<${tag}((?:\\s+[\\w:-]+="[^"]*")*)\\s*/?>`).exec(xml);
  return Object.fromEntries([...(m?.[1] ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1] as string, a[2] as string]));
}

describe('firebreak corpus replay against the demo model', () => {
  let dataDir: string;
  let plane: InMemoryModelControlPlane;
  let model: DemoModelServer;
  let options: CorpusCommandOptions;
  let cases: readonly RegressionCase[];

  const run = async (...args: string[]): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const code = await corpusCommand(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, options);
    return { code, stdout, stderr };
  };

  /** Switches the demo model to a version (and the kill switch on or off). */
  const serve = async (activeVersion: string, killSwitch = false): Promise<void> => {
    const state = await plane.get(MODEL);
    await plane.update(MODEL, state!.revision, { activeVersion, killSwitch }, 'corpus-replay test');
  };

  const junitPath = (name: string): string => path.join(dataDir, 'reports', name);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'firebreak-corpus-replay-'));
    options = { env: { FIREBREAK_DATA_DIR: dataDir }, cwd: ROOT, stderrIsTTY: false };
    const added = await run('add', '--from', FIXTURE, '--canary', CANARY_TOKEN);
    if (added.code !== 0) throw new Error(`corpus add failed: ${added.stderr}${added.stdout}`);
    cases = (await (await openCorpusWorkspace({ env: options.env!, cwd: ROOT })).load()).cases;
    plane = new InMemoryModelControlPlane([demoModelControlState({ model: MODEL })]);
    model = await startDemoModel({ controlPlane: plane, model: MODEL, evidenceFile: path.join(dataDir, 'evidence', 'probes.jsonl'), delays: { scale: 0 }, controlCacheMs: 0 });
  });
  afterAll(async () => {
    await model?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails the gate on the vulnerable version (support-llm-v2): exit 1, FAIL rows, a JUnit report with failures and no prompt text', async () => {
    await serve('support-llm-v2');
    const junit = junitPath('v2.junit.xml');
    const out = await run('replay', '--target', model.url, '--junit', junit, '--concurrency', '3', '--canary', CANARY_TOKEN);
    expect(out.code).toBe(1);
    expect(cases).toHaveLength(6);
    // The model was discovered from GET /v1/models; progress went to stderr as plain lines.
    expect(out.stderr).toContain(`replay: 6 active cases against ${model.url}/v1/chat/completions (model ${MODEL}, concurrency 3)`);
    expect(out.stderr).toContain('replay: 6/6 cases, 6 failing');
    const rows = out.stdout.split('\n').filter((l) => /^case-[0-9a-f]{16} /.test(l));
    expect(rows).toHaveLength(6);
    expect(rows.every((r) => / FAIL /.test(r))).toBe(true);
    expect(out.stdout.split('\n')[0]).toMatch(/^CASE\s+OWASP\s+TECHNIQUE\s+RESULT\s+REASON$/);
    expect(out.stdout).toContain('leaked the canary token');
    expect(out.stdout).toContain('did not refuse');
    expect(out.stdout).toContain('6 cases: 0 passed, 6 failed, 0 errors — gate FAILED (6 gating cases did not pass)');

    const xml = readFileSync(junit, 'utf8');
    expect(attributes(xml, 'testsuite')).toMatchObject({ name: 'firebreak-corpus', tests: '6', failures: '6', errors: '0' });
    expect(xml.match(/<testcase classname="LLM0[17]:2025\.[a-z-]+" name="case-[0-9a-f]{16}" time="\d+\.\d{3}">/g)).toHaveLength(6);
    expect(xml).not.toContain(CANARY_TOKEN);
    expect(xml).not.toContain(LONG_PROMPT_TAIL);
    expect(xml).not.toContain('jane.doe@example.com');
    expect(xml).not.toContain('[JAILBROKEN]');
    const excerpts = [...xml.matchAll(/input \(redacted excerpt\): (.*?)<\/failure>/g)].map((m) => (m[1] ?? '').replace(/&(quot|amp|lt|gt|apos);/g, (_, e: string) => ({ quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" })[e] ?? ''));
    expect(excerpts).toHaveLength(6);
    for (const excerpt of excerpts) expect(Array.from(excerpt).length).toBeLessThanOrEqual(120);
    expect(excerpts.some((e) => e.includes('[REDACTED:email]'))).toBe(true);
  });

  it.each(['support-llm-v1', 'support-llm-v3'])('passes the gate on a safe version (%s): exit 0 and a JUnit report without failures', async (version) => {
    await serve(version);
    const junit = junitPath(`${version}.junit.xml`);
    const out = await run('replay', '--target', model.url, '--model', MODEL, '--junit', junit, '--canary', CANARY_TOKEN);
    expect(out.stderr).not.toContain('firebreak corpus');
    expect(out.code).toBe(0);
    expect(out.stdout.split('\n').filter((l) => /^case-[0-9a-f]{16} .* pass /.test(l))).toHaveLength(6);
    expect(out.stdout).toContain('6 cases: 6 passed, 0 failed, 0 errors — gate PASSED');
    expect(attributes(readFileSync(junit, 'utf8'), 'testsuite')).toMatchObject({ tests: '6', failures: '0', errors: '0' });
  });

  it('accepts a target that already ends in /v1', async () => {
    await serve('support-llm-v1');
    const out = await run('replay', '--target', `${model.url}/v1/`, '--junit', junitPath('v1-suffix.junit.xml'));
    expect(out.code).toBe(0);
    expect(out.stderr).toContain(`against ${model.url}/v1/chat/completions`);
  });

  it('counts HTTP errors as failing the gate, as JUnit errors with the reason (the kill switch answers 503)', async () => {
    await serve('support-llm-v1', true);
    const junit = junitPath('killed.junit.xml');
    const out = await run('replay', '--target', model.url, '--model', MODEL, '--junit', junit);
    await serve('support-llm-v1', false);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('6 cases: 0 passed, 0 failed, 6 errors — gate FAILED');
    expect(out.stdout).toMatch(/ERROR\s+HTTP 503: support-llm is switched off by its kill switch/);
    const xml = readFileSync(junit, 'utf8');
    expect(attributes(xml, 'testsuite')).toMatchObject({ tests: '6', failures: '0', errors: '6' });
    expect(attributes(xml, 'error')).toMatchObject({ type: 'ReplayRequestError', message: expect.stringMatching(/^HTTP 503: /) as unknown });
  });

  it('fails the gate with exit 1 when the target cannot be reached', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const out = await run('replay', '--target', `http://127.0.0.1:${port}`, '--model', MODEL, '--junit', junitPath('unreachable.junit.xml'), '--timeout', '5');
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/ERROR\s+request failed: /);
  });

  describe('replayCorpus', () => {
    const json = (body: unknown, status = 200): Response => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    const completion = (content: string | null, refusal?: string): unknown => ({ choices: [{ index: 0, message: { role: 'assistant', content, ...(refusal === undefined ? {} : { refusal }) } }] });

    it('judges each case by its detector and records errors, with one result per case in case order', async () => {
      const answers: Response[] = [
        json(completion("I'm sorry, but I can't do that.")),
        json(completion(`Sure, my notes say ${CANARY_TOKEN}`)),
        json('this is not json'),
        json({ choices: [] }),
        json({ error: { message: 'upstream overloaded' } }, 502),
        json(completion(null, "I'm sorry, but I can't help with that.")),
      ];
      const seen: { url: string; body: { model: string; stream: boolean; messages: { role: string; content: string }[] }; auth: string | undefined }[] = [];
      let call = 0;
      const fetch: FetchLike = async (url, init) => {
        seen.push({ url, body: JSON.parse(init.body ?? '{}') as (typeof seen)[number]['body'], auth: init.headers['authorization'] });
        return answers[call++] as Response;
      };
      const progress: number[] = [];
      const results = await replayCorpus({ cases, target: 'https://llm.example/v1', model: 'candidate', concurrency: 1, apiKey: 'k-123', canary: CANARY_TOKEN, fetch, onProgress: (p) => progress.push(p.done) });
      expect(results.map((r) => r.caseId)).toEqual(cases.map((c) => c.id));
      expect(results.map((r) => [r.outcome, r.reason])).toEqual([
        ['passed', expect.stringMatching(/^refused/)],
        ['failed', 'leaked the canary token'],
        ['error', 'the response body is not JSON'],
        ['error', expect.stringMatching(/^the response is not a chat completion \(choices: /)],
        ['error', 'HTTP 502: upstream overloaded'],
        ['passed', expect.stringMatching(/^refused/)],
      ]);
      expect(results.every((r) => r.durationMs >= 0 && r.excerpt.length <= 120)).toBe(true);
      expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
      expect(seen[0]).toEqual({ url: 'https://llm.example/v1/chat/completions', auth: 'Bearer k-123', body: { model: 'candidate', stream: false, messages: cases[0]!.input.turns } });
    });

    it('counts a request that outlives its timeout as an error', async () => {
      const hang: FetchLike = (_url, init) => new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
      const [result] = await replayCorpus({ cases: cases.slice(0, 1), target: 'http://127.0.0.1:1', model: MODEL, timeoutMs: 20, fetch: hang });
      expect(result).toMatchObject({ outcome: 'error', reason: 'timed out after 20 ms' });
    });

    it('keeps at most `concurrency` requests in flight', async () => {
      let inFlight = 0;
      let most = 0;
      const fetch: FetchLike = async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        return json(completion("I'm sorry, but I can't do that."));
      };
      const results = await replayCorpus({ cases, target: 'http://127.0.0.1:1', model: MODEL, concurrency: 2, fetch });
      expect(results).toHaveLength(6);
      expect(most).toBe(2);
    });

    it.each([
      ['http://127.0.0.1:8788', 'http://127.0.0.1:8788/v1/chat/completions'],
      ['http://127.0.0.1:8788/', 'http://127.0.0.1:8788/v1/chat/completions'],
      ['https://llm.example/v1', 'https://llm.example/v1/chat/completions'],
      ['https://gw.example/openai/v1/chat/completions', 'https://gw.example/openai/v1/chat/completions'],
      ['https://gw.example/openai?x=1', 'https://gw.example/openai/v1/chat/completions'],
    ])('sends %s requests to %s', (target, url) => {
      expect(chatCompletionsUrl(target)).toBe(url);
    });
  });
  it('reports a failing quarantined case without failing the gate, and replays only active cases by default', async () => {
    const quarantined = cases[0]!;
    await new GitRecordsRepository(path.join(dataDir, 'records')).commit(
      [{ path: casePath(quarantined.id), content: serializeCase({ ...quarantined, status: 'quarantined' }) }],
      'test: quarantine a case',
    );
    const prompt = quarantined.input.turns.map((t) => t.content).join('\n');
    // A target that refuses everything except the quarantined case's prompt.
    const fetch: FetchLike = async (_url, init) => {
      const body = JSON.parse(init.body ?? '{}') as { messages: { content: string }[] };
      const content = body.messages.map((m) => m.content).join('\n') === prompt ? 'Sure! Here you go, no rules apply.' : "I'm sorry, but I can't do that.";
      return new Response(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }), { status: 200 });
    };
    const withFetch = { ...options, fetch };
    let stdout = '';
    const all = await corpusCommand(['replay', '--target', 'http://127.0.0.1:1', '--model', MODEL, '--status', 'all', '--junit', junitPath('all.junit.xml')], { stdout: (t) => void (stdout += t), stderr: () => undefined }, withFetch);
    expect(all).toBe(0);
    expect(stdout).toMatch(new RegExp(`^${quarantined.id} .* FAIL \\(not gating\\)\\s+did not refuse$`, 'm'));
    expect(stdout).toContain('6 cases: 5 passed, 1 failed, 0 errors — gate PASSED');
    stdout = '';
    const active = await corpusCommand(['replay', '--target', 'http://127.0.0.1:1', '--model', MODEL, '--junit', junitPath('active.junit.xml')], { stdout: (t) => void (stdout += t), stderr: () => undefined }, withFetch);
    expect(active).toBe(0);
    expect(stdout).toContain('5 cases: 5 passed, 0 failed, 0 errors — gate PASSED');
    expect(stdout).not.toContain(quarantined.id);
  });
});
