import { InvalidInputError } from '../../lambdas/core/errors';
import { PipelineMetrics } from '../../local/metrics';
import { startHttpServer, type PageActions, type ServerRoutes } from '../../local/server';
import type { InMemoryIncidentStore } from '../support/in-memory-ports';
import { CONTAINED_ID, HOSTILE_ID, InMemoryRecords, RESOLVED_ID, SAMPLE_WEEK, sampleRecordFiles, sampleStore } from '../support/page-fixtures';

/*
 * The server-rendered pages of the embedded target, over HTTP without a
 * browser: what each page says, that hostile text stays text, the review
 * charts route, and the POST routes that start postmortem and review actions.
 */

interface Served {
  url: string;
  close(): Promise<void>;
}

/** Fake actions that record their calls and answer what the test says. */
class FakeActions implements PageActions {
  readonly calls: { action: string; arg: string | undefined }[] = [];
  failWith: Error | undefined;

  async draftPostmortem(incidentId: string): Promise<unknown> {
    this.calls.push({ action: 'draftPostmortem', arg: incidentId });
    if (this.failWith !== undefined) throw this.failWith;
    return { path: `postmortems/2026/${incidentId}.md`, changed: true };
  }

  async weeklyReview(week?: string): Promise<unknown> {
    this.calls.push({ action: 'weeklyReview', arg: week });
    if (this.failWith !== undefined) throw this.failWith;
    return { path: `reviews/${week ?? '2026-W47'}.md`, changed: true };
  }
}

async function serve(store: InMemoryIncidentStore, extra: Partial<ServerRoutes>): Promise<Served> {
  const metrics = new PipelineMetrics(async () => (await store.listActive()).length);
  return startHttpServer({ post: {}, getJson: {}, store, metrics, ...extra }, { host: '127.0.0.1', port: 0 });
}

async function html(url: string): Promise<{ status: number; type: string | null; headers: Headers; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body: await res.text() };
}

async function post(url: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Heading levels of a page, in document order. */
const headingLevels = (page: string): number[] => [...page.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));

function expectAccessibleShape(page: string): void {
  expect(page).toMatch(/^<!doctype html>\s*<html lang="en">/);
  expect(page).toContain('<a class="skip" href="#main">Skip to content</a>');
  expect(page).toContain('<main id="main"');
  expect(page).not.toMatch(/<script/i);
  const levels = headingLevels(page);
  expect(levels[0]).toBe(1);
  expect(levels.filter((l) => l === 1)).toHaveLength(1);
  levels.forEach((level, i) => {
    if (i > 0) expect(level).toBeLessThanOrEqual((levels[i - 1] as number) + 1);
  });
}

describe('server-rendered pages', () => {
  let store: InMemoryIncidentStore;
  let records: InMemoryRecords;
  let actions: FakeActions;
  let server: Served;

  beforeAll(async () => {
    store = await sampleStore();
  });
  beforeEach(async () => {
    records = new InMemoryRecords(sampleRecordFiles());
    actions = new FakeActions();
    server = await serve(store, { records, actions });
  });
  afterEach(async () => {
    await server.close();
  });

  describe('GET / (incident list)', () => {
    it('lists the incidents of a week, newest first, with status, severity, SLO, model, opening time and response times', async () => {
      const page = await html(`${server.url}/?week=${SAMPLE_WEEK}`);
      expect(page.status).toBe(200);
      expect(page.type).toBe('text/html; charset=utf-8');
      expectAccessibleShape(page.body);
      expect(page.body).toContain('<h1>Incidents</h1>');
      const rows = [...page.body.matchAll(/<tr><th scope="row"><a href="\/incidents\/([^/]+)\/page">/g)].map((m) => m[1]);
      expect(rows).toEqual([CONTAINED_ID, HOSTILE_ID, RESOLVED_ID]);
      expect(page.body).toContain('<caption>Incidents of week 2026-W47, newest first.');
      expect(page.body).toContain('<span class="status status-mitigated">mitigated</span>');
      expect(page.body).toContain('<td>sev1</td>');
      expect(page.body).toContain('never-event-canary-leak');
      expect(page.body).toContain('support-bot / support-llm-canary');
      expect(page.body).toContain('<time datetime="2026-11-21T10:00:05.000Z">2026-11-21 10:00:05 UTC</time>');
      // Acknowledged 4 minutes after opening; the resolved one took 1 h 5 min.
      expect(page.body).toContain('<time datetime="PT4M">4 min</time>');
      expect(page.body).toContain('<time datetime="PT1H5M">1 h 5 min</time>');
      expect(page.body).toContain('<span class="muted">not yet</span>');
      expect(page.body).toContain('<a href="/reviews">Weekly reviews</a>');
    });

    it('shows hostile incident titles as text', async () => {
      const page = await html(`${server.url}/?week=${SAMPLE_WEEK}`);
      expect(page.body).toContain('&lt;script&gt;window.__pwned = true&lt;/script&gt; refusal rate breached');
      expect(page.body).not.toContain('<script>window.__pwned');
    });

    it('sends a policy that forbids scripts with every page', async () => {
      const page = await html(`${server.url}/`);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(page.headers.get('content-security-policy')).not.toContain('script-src');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('says so when a week has no incidents, and keeps answering a malformed week with a JSON 400', async () => {
      const empty = await html(`${server.url}/?week=2020-W01`);
      expect(empty.body).toContain('No incidents (week 2020-W01).');
      const bad = await html(`${server.url}/?week=last`);
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ error: 'InvalidQuery' });
    });
  });

  describe('GET /incidents/{id}/page', () => {
    it('shows the summary, the actions with before and after, and the timeline', async () => {
      const page = await html(`${server.url}/incidents/${CONTAINED_ID}/page`);
      expect(page.status).toBe(200);
      expectAccessibleShape(page.body);
      expect(page.body).toContain(`<h1>${CONTAINED_ID}</h1>`);
      expect(page.body).toContain('<h2 id="summary">Summary</h2>');
      expect(page.body).toContain('<dt>Model</dt><dd>support-llm (version support-llm-v2)</dd>');
      expect(page.body).toContain('<dt>Slack channel</dt><dd>#inc-20261121-refusal-rate</dd>');
      expect(page.body).toContain('<caption>Actions taken on the model, oldest first</caption>');
      expect(page.body).toContain('<li>safe mode: off → on</li>');
      expect(page.body).toContain('<li>serving version: support-llm-v2 → support-llm-v1</li>');
      expect(page.body).toMatch(/<ol class="timeline">(?:\s*<li>.*<\/li>){5}\s*<\/ol>/);
      expect(page.body).toContain('<strong>action.rollback</strong> <span class="muted">by U0ALICE</span>: Rolled back support-llm to support-llm-v1');
    });

    it('renders the postmortem from postmortems/<year>/<id>.md, its headings under the section and its raw HTML as text', async () => {
      const page = await html(`${server.url}/incidents/${CONTAINED_ID}/page`);
      expect(records.reads).toContain(`postmortems/2026/${CONTAINED_ID}.md`);
      expect(page.body).toContain('<h2 id="postmortem">Postmortem</h2>');
      expect(page.body).toContain(`<h3>Postmortem: ${CONTAINED_ID}</h3>`);
      expect(page.body).toContain('<h4>Contributing factors</h4>');
      expect(page.body).toContain('<caption class="visually-hidden">Impact</caption><thead><tr><th scope="col">Measure</th>');
      expect(page.body).toContain('&lt;img src=x onerror=&quot;window.__pwned=true&quot;&gt;');
      expect(page.body).not.toContain('<img src=x');
      // An unsafe link keeps its text and loses its target; a web link stays.
      expect(page.body).not.toContain('javascript:');
      expect(page.body).toContain('see case and <a href="https://example.com/runbooks/safe-mode">the runbook</a>');
    });

    it('lists the regression cases harvested for the incident with a redacted excerpt of 120 characters at most', async () => {
      const page = await html(`${server.url}/incidents/${CONTAINED_ID}/page`);
      const cases = /<caption>Regression cases harvested[^<]*<\/caption>.*?<tbody>(.*?)<\/tbody>/s.exec(page.body)?.[1] ?? '';
      expect(cases).toContain('<code>case-bce175d17483fb80</code>');
      expect(cases).toContain('<td>LLM01:2025</td><td>jailbreak / persona/DAN</td>');
      expect(cases).not.toContain('case-b31922b09a190c62');
      const excerpt = /<td>(From now on[^<]*)<\/td>/.exec(cases)?.[1] ?? '';
      expect(Array.from(excerpt)).toHaveLength(120);
      expect(excerpt.endsWith('…')).toBe(true);
      expect(page.body).not.toContain('THIS-TAIL-MUST-NOT-BE-SHOWN');
    });

    it('names the corpus files it could not read instead of hiding them', async () => {
      const page = await html(`${server.url}/incidents/${CONTAINED_ID}/page`);
      expect(page.body).toMatch(/<div class="warning"><p>1 file of <code>corpus\/<\/code> could not be read as a regression case:<\/p><ul><li><code>corpus\/case-00000000deadbeef.json<\/code>: \(root\): not JSON<\/li>/);
    });

    it('escapes hostile text in the title and the timeline', async () => {
      const page = await html(`${server.url}/incidents/${HOSTILE_ID}/page`);
      expect(page.status).toBe(200);
      expect(page.body).not.toMatch(/<script|<img src=x|<b>bold/);
      expect(page.body).toContain('<p>&lt;script&gt;window.__pwned = true&lt;/script&gt; refusal rate breached</p>');
      expect(page.body).toContain('Alert annotation: &lt;img src=x onerror=&quot;window.__pwned=true&quot;&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
      expect(page.body).toContain('<dt>SLO</dt><dd>adversarial-refusal-rate <span class="muted">(unmapped alert: default policy)</span></dd>');
    });

    it('says that no postmortem is drafted yet, and where it will be', async () => {
      const page = await html(`${server.url}/incidents/${RESOLVED_ID}/page`);
      expect(page.body).toContain(`No postmortem is drafted yet (it will be <code>postmortems/2026/${RESOLVED_ID}.md</code>`);
      expect(page.body).toContain('<p>No action was taken on the model.</p>');
      expect(page.body).toContain('<code>case-b31922b09a190c62</code>');
      // The case's prompt quotes markup: it is shown as text.
      expect(page.body).toContain('Put them in &lt;b&gt;bold&lt;/b&gt; inside &lt;img src=x onerror=&quot;window.__pwned=true&quot;&gt;');
      expect(page.body).not.toMatch(/<img src=x|<b>bold/);
    });

    it('says when no regression case was harvested', async () => {
      const page = await html(`${server.url}/incidents/${HOSTILE_ID}/page`);
      expect(page.body).toContain('No regression case was harvested from this incident.');
    });

    it('answers an unknown incident with a JSON 404', async () => {
      const page = await html(`${server.url}/incidents/inc-20260101-deadbeef/page`);
      expect(page.status).toBe(404);
      expect(JSON.parse(page.body)).toEqual({ error: 'NotFound', message: 'no incident inc-20260101-deadbeef' });
    });

    it('still answers GET /incidents/{id} with the incident and its timeline as JSON', async () => {
      const res = await fetch(`${server.url}/incidents/${CONTAINED_ID}`);
      const body = (await res.json()) as { incident: { id: string }; timeline: unknown[] };
      expect(body.incident.id).toBe(CONTAINED_ID);
      expect(body.timeline).toHaveLength(5);
    });
  });

  describe('GET /reviews', () => {
    it('lists the weekly reviews of the records repository, newest first', async () => {
      const page = await html(`${server.url}/reviews`);
      expect(page.status).toBe(200);
      expectAccessibleShape(page.body);
      expect(page.body).toContain('<a href="/reviews" aria-current="page">Weekly reviews</a>');
      expect(page.body).toContain('<ul><li><a href="/reviews/2026-W47">Week 2026-W47</a></li>\n<li><a href="/reviews/2026-W46">Week 2026-W46</a></li></ul>');
    });

    it('renders a review with its title as the page heading and its charts as images served by the chart route', async () => {
      const page = await html(`${server.url}/reviews/2026-W47`);
      expect(page.status).toBe(200);
      expectAccessibleShape(page.body);
      expect(page.body).toContain('<h1>Weekly review 2026-W47</h1>');
      expect(page.body).toContain('<h2>Incidents</h2>');
      expect(page.body).toContain('<img src="/reviews/2026-W47/incidents-per-week.svg" alt="Incidents per week">');
      expect(page.body).toContain('<img src="/reviews/2026-W47/severity-mix.svg" alt="Incidents by severity" title="Incidents by severity">');
      expect(page.body).toContain('<th scope="col" style="text-align:right">Time to resolve</th>');
      expect(page.body).toContain('<input checked="" disabled="" type="checkbox">');
      expect(page.body).not.toContain('Generated by firebreak review weekly');
      expect(page.body).toContain('Raw markup in a review is shown as text: &lt;script&gt;window.__pwned = true&lt;/script&gt;');
    });

    it('shows an inline chart of a review, rewritten from its parsed elements', async () => {
      const page = await html(`${server.url}/reviews/2026-W46`);
      expect(page.body).toMatch(/<figure class="chart"><svg xmlns="http:\/\/www.w3.org\/2000\/svg" role="img" aria-labelledby="error-budget-title error-budget-desc"/);
      expect(page.body).toContain('<title id="error-budget-title">Error budget left per SLO</title>');
    });

    it.each([
      ['an event handler', '<svg viewBox="0 0 10 10" onload="window.__pwned=true"><rect width="5" height="5"/></svg>'],
      ['a script element', '<svg viewBox="0 0 10 10"><script>window.__pwned=true</script></svg>'],
      ['a link', '<svg viewBox="0 0 10 10"><a href="javascript:window.__pwned=true"><rect width="5" height="5"/></a></svg>'],
      ['a style attribute', '<svg viewBox="0 0 10 10"><rect width="5" height="5" style="fill:red"/></svg>'],
      ['an external paint', '<svg viewBox="0 0 10 10"><rect width="5" height="5" fill="url(https://evil.example/p.svg#x)"/></svg>'],
      ['a foreign object', '<svg viewBox="0 0 10 10"><foreignObject><p>hi</p></foreignObject></svg>'],
      ['an unknown entity', '<svg viewBox="0 0 10 10"><title>&xxe;</title></svg>'],
      ['mismatched tags', '<svg viewBox="0 0 10 10"><g><rect width="5" height="5"/></svg></g>'],
      ['markup after the chart', '<svg viewBox="0 0 10 10"></svg><img src=x onerror="window.__pwned=true">'],
    ])('shows an inline SVG with %s as text', async (_what, svg) => {
      records = new InMemoryRecords({ 'reviews/2026-W45.md': `# Review\n\n${svg}\n` });
      await server.close();
      server = await serve(store, { records, actions });
      const page = await html(`${server.url}/reviews/2026-W45`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('&lt;svg viewBox=&quot;0 0 10 10&quot;');
      expect(page.body).not.toMatch(/<svg|<script|<img src=x|<a href="javascript/);
    });

    it('serves a chart as image/svg+xml that cannot run as a document', async () => {
      const res = await fetch(`${server.url}/reviews/2026-W47/severity-mix.svg`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/svg+xml');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toContain('<title id="severity-mix-title">Incidents by severity, 2026-W47</title>');
    });

    it.each([
      ['a chart that does not exist', '/reviews/2026-W47/nope.svg'],
      ['a chart name with dots', '/reviews/2026-W47/severity.mix.svg'],
      ['an encoded path traversal', '/reviews/2026-W47/..%2F..%2Fcorpus%2Fcase-bce175d17483fb80.svg'],
      ['a week that is not a week', '/reviews/2026-W60/severity-mix.svg'],
      ['a review that does not exist', '/reviews/2026-W01'],
      ['a review path that is not a week', '/reviews/latest'],
    ])('answers %s with a 404', async (_what, route) => {
      const res = await fetch(`${server.url}${route}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json');
    });
  });

  describe('without a records repository', () => {
    it('says on each page that no records repository is configured', async () => {
      await server.close();
      server = await serve(store, {});
      const incident = await html(`${server.url}/incidents/${CONTAINED_ID}/page`);
      expect(incident.body).toContain('No records repository is configured, so no postmortem can be shown.');
      expect(incident.body).toContain('No records repository is configured, so no regression cases can be shown.');
      const reviews = await html(`${server.url}/reviews`);
      expect(reviews.body).toContain('No records repository is configured, so there are no reviews to show.');
      expect((await fetch(`${server.url}/reviews/2026-W47`)).status).toBe(404);
    });
  });

  describe('POST /incidents/{id}/postmortem', () => {
    it('drafts the postmortem of the incident and answers the action result', async () => {
      const res = await post(`${server.url}/incidents/${CONTAINED_ID}/postmortem`);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ path: `postmortems/2026/${CONTAINED_ID}.md`, changed: true });
      expect(actions.calls).toEqual([{ action: 'draftPostmortem', arg: CONTAINED_ID }]);
    });

    it('answers 404 for an unknown incident without starting the action', async () => {
      const res = await post(`${server.url}/incidents/inc-20260101-deadbeef/postmortem`);
      expect(res.status).toBe(404);
      expect(actions.calls).toEqual([]);
    });

    it('answers 503 when no actions are configured', async () => {
      await server.close();
      server = await serve(store, { records });
      const res = await post(`${server.url}/incidents/${CONTAINED_ID}/postmortem`);
      expect(res.status).toBe(503);
      expect(res.json).toMatchObject({ error: 'ActionsUnavailable' });
    });

    it('answers 400 when the action rejects its input, and 500 when it fails otherwise', async () => {
      actions.failWith = new InvalidInputError('postmortem', [{ path: 'incident', message: 'not resolved yet' }]);
      const invalid = await post(`${server.url}/incidents/${CONTAINED_ID}/postmortem`);
      expect(invalid.status).toBe(400);
      expect(invalid.json).toEqual({ error: 'InvalidInputError', message: 'postmortem is invalid: incident: not resolved yet', issues: [{ path: 'incident', message: 'not resolved yet' }] });
      actions.failWith = new Error('git commit failed');
      const failed = await post(`${server.url}/incidents/${CONTAINED_ID}/postmortem`);
      expect(failed.status).toBe(500);
      expect(failed.json).toEqual({ error: 'Error', message: 'git commit failed' });
    });

    it('answers a GET with 405', async () => {
      const res = await fetch(`${server.url}/incidents/${CONTAINED_ID}/postmortem`);
      expect(res.status).toBe(405);
    });
  });

  describe('POST /reviews/weekly', () => {
    it('writes the review of the week asked for', async () => {
      const res = await post(`${server.url}/reviews/weekly`, JSON.stringify({ week: '2026-W46' }));
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ path: 'reviews/2026-W46.md', changed: true });
      expect(actions.calls).toEqual([{ action: 'weeklyReview', arg: '2026-W46' }]);
    });

    it('leaves the week to the action when none is given, with or without a body', async () => {
      expect((await post(`${server.url}/reviews/weekly`, '{}')).status).toBe(200);
      expect((await post(`${server.url}/reviews/weekly`)).status).toBe(200);
      expect(actions.calls).toEqual([
        { action: 'weeklyReview', arg: undefined },
        { action: 'weeklyReview', arg: undefined },
      ]);
    });

    it.each([
      ['a malformed week', JSON.stringify({ week: '2026-47' }), 'InvalidInput'],
      ['week 54', JSON.stringify({ week: '2026-W54' }), 'InvalidInput'],
      ['an unknown field', JSON.stringify({ weeks: '2026-W47' }), 'InvalidInput'],
      ['a body that is not an object', JSON.stringify(['2026-W47']), 'InvalidInput'],
      ['a body that is not JSON', '{week:', 'InvalidJson'],
    ])('answers %s with a JSON 400 without starting the action', async (_what, body, error) => {
      const res = await post(`${server.url}/reviews/weekly`, body);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error });
      expect(actions.calls).toEqual([]);
    });

    it('answers 400 when the action rejects the week', async () => {
      actions.failWith = new InvalidInputError('ISO week', [{ path: 'week', message: 'expected a week between 01 and 52 for 2027' }]);
      const res = await post(`${server.url}/reviews/weekly`, JSON.stringify({ week: '2027-W53' }));
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error: 'InvalidInputError' });
    });

    it('answers 503 when no actions are configured', async () => {
      await server.close();
      server = await serve(store, { records });
      expect((await post(`${server.url}/reviews/weekly`, '{}')).status).toBe(503);
    });
  });
});
