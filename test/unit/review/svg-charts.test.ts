import { errorBudgetChart, escapeXml, incidentsPerWeekChart, timeToResolveChart } from '../../../lambdas/core/review/svg-charts';

/**
 * A small XML well-formedness check: every tag closes in order, attribute
 * values are quoted, and text has no bare `<` or `&` outside an entity.
 * Returns the problems found (none for a well-formed document).
 */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const m of xml.matchAll(token)) {
    const [, closing, name, , selfClosing, text, stray] = m;
    if (stray !== undefined) problems.push(`malformed tag at ${m.index}: ${xml.slice(m.index, m.index + 40)}`);
    else if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text)) problems.push(`bare & in text: ${text}`);
    } else if (closing === '/') {
      if (stack.pop() !== name) problems.push(`unexpected </${name}>`);
    } else if (selfClosing !== '/') stack.push(name);
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}

/** The text content of every `<text>` element, unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'),
  );
}

function expectAccessible(svg: string, title: string): void {
  expect(xmlProblems(svg)).toEqual([]);
  const root = /^<svg ([^>]*)>/.exec(svg);
  expect(root).not.toBeNull();
  expect(root?.[1]).toContain('role="img"');
  expect(root?.[1]).toContain('xmlns="http://www.w3.org/2000/svg"');
  const labelled = /aria-labelledby="([^"]+)"/.exec(root?.[1] ?? '')?.[1].split(' ') ?? [];
  expect(labelled).toHaveLength(2);
  expect(svg).toContain(`<title id="${labelled[0]}">${title}</title>`);
  expect(svg).toMatch(new RegExp(`<desc id="${labelled[1]}">[^<]+</desc>`));
  expect(svg).not.toMatch(/\n\s*\n/); // no blank line: it can be inlined in markdown
}

const WEEKS = ['2026-W43', '2026-W44', '2026-W45', '2026-W46', '2026-W47'];

describe('incidentsPerWeekChart', () => {
  const svg = incidentsPerWeekChart(WEEKS.map((week, i) => ({ week, incidents: [3, 0, 7, 2, 5][i] })));

  it('is an accessible SVG with a title and a description listing every week', () => {
    expectAccessible(svg, 'Incidents per week');
    expect(svg).toContain('<desc id="incidents-per-week-desc">Incidents opened per ISO week, flaps excluded: 2026-W43: 3; 2026-W44: 0; 2026-W45: 7; 2026-W46: 2; 2026-W47: 5.</desc>');
  });

  it('draws one bar per week with its count and week as text, and labels both axes', () => {
    expect(svg.match(/<rect x=/g)).toHaveLength(5);
    const labels = texts(svg);
    for (const week of WEEKS) expect(labels).toContain(week);
    for (const count of ['3', '0', '7', '2', '5']) expect(labels).toContain(count);
    expect(labels).toEqual(expect.arrayContaining(['Incidents', 'ISO week', 'Incidents per week']));
  });

  it('scales bar heights to the counts', () => {
    const heights = [...svg.matchAll(/<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(heights[2]).toBeGreaterThan(heights[4]);
    expect(heights[4]).toBeGreaterThan(heights[0]);
    expect(heights[1]).toBe(0);
    expect(heights[0] / heights[2]).toBeCloseTo(3 / 7, 2);
  });

  it('draws an empty axis for weeks without incidents', () => {
    const empty = incidentsPerWeekChart(WEEKS.map((week) => ({ week, incidents: 0 })));
    expect(xmlProblems(empty)).toEqual([]);
    expect(texts(empty)).toContain('1');
  });
});

describe('timeToResolveChart', () => {
  const svg = timeToResolveChart([
    { week: WEEKS[0], median: 3600, p90: 9000 },
    { week: WEEKS[1], median: 5400, p90: 14_400 },
    { week: WEEKS[2], median: null, p90: null },
    { week: WEEKS[3], median: 1800, p90: 7200 },
    { week: WEEKS[4], median: 2700, p90: 3600 },
  ]);

  it('is an accessible SVG whose description gives every median and p90', () => {
    expectAccessible(svg, 'Time to resolve per week');
    expect(svg).toContain('2026-W43: median 1h 00m, p90 2h 30m');
    expect(svg).toContain('2026-W45: no resolved incidents');
  });

  it('draws the median solid and p90 dashed, breaking both lines at a week without data', () => {
    const lines = [...svg.matchAll(/<polyline points="([^"]+)"[^>]*>/g)];
    expect(lines).toHaveLength(4); // two segments per series
    expect(lines.filter((l) => l[0].includes('stroke-dasharray'))).toHaveLength(2);
    expect(texts(svg)).toContain('no data');
  });

  it('labels points with durations and the axis in a readable unit', () => {
    const labels = texts(svg);
    expect(labels).toEqual(expect.arrayContaining(['1h 00m', '4h 00m', '30m 00s', 'Time to resolve (hours)', 'ISO week', 'median', 'p90']));
  });

  it('uses minutes for short durations', () => {
    expect(texts(timeToResolveChart([{ week: WEEKS[4], median: 300, p90: 600 }]))).toContain('Time to resolve (minutes)');
  });
});

describe('errorBudgetChart', () => {
  const svg = errorBudgetChart([
    { slo: 'adversarial-refusal-rate', remainingFraction: 0.25, exhausted: false },
    { slo: 'prompt-injection-never-event', remainingFraction: 0, exhausted: true },
    { slo: 'ttft-p95', remainingFraction: 1, exhausted: false },
  ]);

  it('is an accessible SVG describing every SLO', () => {
    expectAccessible(svg, 'Error budget left per SLO');
    expect(svg).toContain('adversarial-refusal-rate: 25.0%; prompt-injection-never-event: exhausted; ttft-p95: 100.0%.');
  });

  it('draws one bar per SLO as long as its share left, with the value as text', () => {
    const widths = [...svg.matchAll(/<rect x="220" y="[^"]+" width="([^"]+)" height="20"/g)].map((m) => Number(m[1]));
    expect(widths).toEqual([81, 0, 324]);
    expect(texts(svg)).toEqual(expect.arrayContaining(['adversarial-refusal-rate', '25.0%', 'exhausted', '100.0%', '0%', '100%', 'Error budget left (% of budget)']));
  });

  it('escapes text so that a hostile name cannot inject markup', () => {
    const hostile = errorBudgetChart([{ slo: '<script>alert("x")</script>&', remainingFraction: 0.5, exhausted: false }]);
    expect(xmlProblems(hostile)).toEqual([]);
    expect(hostile).not.toContain('<script>');
    expect(texts(hostile)).toContain('<script>alert("x")</script>&');
  });
});

describe('escapeXml', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('chart ids', () => {
  it('can be prefixed so that several charts inline in one page keep unique ids', () => {
    const svg = incidentsPerWeekChart([{ week: WEEKS[0], incidents: 1 }], { id: 'review 2026-W47/incidents' });
    expect(svg).toContain('aria-labelledby="review-2026-W47-incidents-title review-2026-W47-incidents-desc"');
  });
});
