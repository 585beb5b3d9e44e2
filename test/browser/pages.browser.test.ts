import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { PipelineMetrics } from '../../local/metrics';
import { startHttpServer } from '../../local/server';
import { launchChromium } from '../support/chromium';
import { CONTAINED_ID, HOSTILE_ID, InMemoryRecords, SAMPLE_WEEK, sampleRecordFiles, sampleStore } from '../support/page-fixtures';
import { countColouredPixels, countInkPixels, decodePng } from '../support/png';

/*
 * The pages as a person sees them, in Debian's headless Chromium: the list,
 * an incident and the weekly reviews render, hostile text never runs, and
 * the review charts are drawn (screenshots of the chart elements hold
 * coloured marks). Without /usr/bin/chromium the suite fails, saying how to
 * install it.
 */

/** Whether a hostile snippet of the sample data ran (it sets `window.__pwned`). */
const pwned = (page: Page): Promise<unknown> => page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned);

/** Decodes a screenshot of the element and counts what is drawn on it. */
async function drawn(element: Locator): Promise<{ area: number; coloured: number; ink: number }> {
  const png = decodePng(await element.screenshot());
  return { area: png.width * png.height, coloured: countColouredPixels(png), ink: countInkPixels(png) };
}

describe('pages in headless Chromium', () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    const store = await sampleStore();
    const metrics = new PipelineMetrics(async () => (await store.listActive()).length);
    server = await startHttpServer({ post: {}, getJson: {}, store, metrics, records: new InMemoryRecords(sampleRecordFiles()) }, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await browser?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
  });

  it('renders the incident list with a row per incident, each linking to its page', async () => {
    await page.goto(`${server.url}/?week=${SAMPLE_WEEK}`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Incidents');
    const table = page.getByRole('table', { name: /Incidents of week 2026-W47/ });
    await expect(table.locator('tbody tr').count()).resolves.toBe(3);
    await expect(table.getByRole('columnheader').allTextContents()).resolves.toEqual([
      'Incident',
      'Status',
      'Severity',
      'SLO',
      'Service / model',
      'Opened',
      'Time to acknowledge',
      'Time to resolve',
    ]);
    await table.getByRole('link', { name: CONTAINED_ID }).click();
    await page.waitForURL(`**/incidents/${CONTAINED_ID}/page`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(CONTAINED_ID);
  });

  it('renders an incident with its actions, timeline, postmortem and regression cases', async () => {
    await page.goto(`${server.url}/incidents/${CONTAINED_ID}/page`);
    const sections = await page.getByRole('heading', { level: 2 }).allTextContents();
    expect(sections).toEqual(['Summary', 'Actions', 'Timeline', 'Postmortem', 'Regression cases']);
    const actions = page.getByRole('table', { name: 'Actions taken on the model, oldest first' });
    await expect(actions.locator('tbody tr').count()).resolves.toBe(2);
    await expect(actions.innerText()).resolves.toContain('serving version: support-llm-v2 → support-llm-v1');
    await expect(page.locator('ol.timeline > li').count()).resolves.toBe(5);
    const postmortem = page.getByRole('region', { name: 'Postmortem' });
    await expect(postmortem.getByRole('heading', { level: 3 }).textContent()).resolves.toBe(`Postmortem: ${CONTAINED_ID}`);
    await expect(postmortem.getByRole('link', { name: 'the runbook' }).getAttribute('href')).resolves.toBe('https://example.com/runbooks/safe-mode');
    const cases = page.getByRole('table', { name: /Regression cases harvested/ });
    await expect(cases.locator('tbody tr').count()).resolves.toBe(1);
    await expect(pwned(page)).resolves.toBeUndefined();
  });

  it('shows hostile titles and timeline messages as text and runs none of them', async () => {
    await page.goto(`${server.url}/incidents/${HOSTILE_ID}/page`);
    await expect(page.locator('main > p').first().textContent()).resolves.toBe('<script>window.__pwned = true</script> refusal rate breached');
    await expect(page.locator('ol.timeline').innerText()).resolves.toContain('<img src=x onerror="window.__pwned=true"> & <b>bold</b>');
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await expect(pwned(page)).resolves.toBeUndefined();
  });

  it('lists the weekly reviews and opens one', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('navigation', { name: 'Site' }).getByRole('link', { name: 'Weekly reviews' }).click();
    await page.waitForURL('**/reviews');
    await page.getByRole('link', { name: 'Week 2026-W47' }).click();
    await page.waitForURL('**/reviews/2026-W47');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Weekly review 2026-W47');
    // A markdown table is named by the heading before it.
    await expect(page.getByRole('table', { name: 'Incidents' }).locator('tbody tr').count()).resolves.toBe(2);
  });

  it('draws the chart images of a review', async () => {
    await page.goto(`${server.url}/reviews/2026-W47`);
    const charts = page.locator('article img');
    await expect(charts.count()).resolves.toBe(2);
    // The images as the browser sees them (the project compiles without DOM types).
    type Image = { alt: string; complete: boolean; naturalWidth: number };
    const sizes = await charts.evaluateAll((images) => (images as unknown as Image[]).map((img) => ({ alt: img.alt, complete: img.complete, width: img.naturalWidth })));
    expect(sizes).toEqual([
      { alt: 'Incidents per week', complete: true, width: 640 },
      { alt: 'Incidents by severity', complete: true, width: 480 },
    ]);
    for (const chart of await charts.all()) {
      const { area, coloured, ink } = await drawn(chart);
      // Bars are coloured: a few percent of the chart at least; axes and labels add ink.
      expect(coloured).toBeGreaterThan(area * 0.02);
      expect(ink).toBeGreaterThan(coloured);
    }
    await expect(pwned(page)).resolves.toBeUndefined();
  });

  it('draws an inline chart of a review', async () => {
    await page.goto(`${server.url}/reviews/2026-W46`);
    const chart = page.locator('figure.chart svg');
    await expect(chart.getAttribute('aria-labelledby')).resolves.toBe('error-budget-title error-budget-desc');
    const { area, coloured } = await drawn(chart);
    expect(coloured).toBeGreaterThan(area * 0.02);
  });

  it('draws nothing coloured where the page has no chart (the pixel check tells a chart from an empty box)', async () => {
    await page.goto(`${server.url}/reviews/2026-W46`);
    const { coloured, ink } = await drawn(page.locator('article > p').first());
    expect(coloured).toBe(0);
    expect(ink).toBeGreaterThan(0);
  });

  it('is readable with JavaScript turned off', async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    try {
      const quiet = await noScript.newPage();
      await quiet.goto(`${server.url}/reviews/2026-W47`);
      await expect(quiet.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Weekly review 2026-W47');
      const { area, coloured } = await drawn(quiet.locator('article img').first());
      expect(coloured).toBeGreaterThan(area * 0.02);
      await quiet.goto(`${server.url}/incidents/${CONTAINED_ID}/page`);
      await expect(quiet.locator('ol.timeline > li').count()).resolves.toBe(5);
    } finally {
      await noScript.close();
    }
  });

  it('offers a skip link as the first stop of the keyboard, and no page has a script', async () => {
    for (const route of ['/', `/incidents/${CONTAINED_ID}/page`, '/reviews', '/reviews/2026-W47']) {
      await page.goto(`${server.url}${route}`);
      await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
      await expect(page.locator('script').count()).resolves.toBe(0);
      await page.keyboard.press('Tab');
      await expect(page.locator(':focus').textContent()).resolves.toBe('Skip to content');
    }
  });
});
