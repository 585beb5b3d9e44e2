import { parsePrometheusText } from '../../lambdas/core/sli/prometheus-text';
import { ScrapeHistory } from '../../lambdas/core/sli/scrape-history';

const samples = (text: string) => parsePrometheusText(text).samples;
const counter = (values: Record<string, number>): string =>
  Object.entries(values)
    .map(([version, v]) => `req_total{version="${version}",category="prompt_injection"} ${v}`)
    .join('\n');

describe('ScrapeHistory', () => {
  it('has no data from a single scrape', () => {
    const history = new ScrapeHistory();
    history.add(0, samples(counter({ v1: 5 })));
    expect(history.increase('req_total', {}, 60)).toBeUndefined();
  });

  it('sums counter increases across series over the window, starting at the scrape nearest to its start', () => {
    const history = new ScrapeHistory();
    history.add(0, samples(counter({ v1: 5 })));
    history.add(10_000, samples(counter({ v1: 7 })));
    history.add(20_000, samples(counter({ v1: 8, v2: 4 })));
    history.add(30_000, samples(counter({ v1: 8, v2: 10 })));
    // 10 s window: from the scrape at 20 s: v1 +0, v2 +6.
    expect(history.increase('req_total', {}, 10)).toEqual({ value: 6, coveredSeconds: 10, atMs: 30_000 });
    // 20 s window: from 10 s: v1 +1, v2 appeared (counts from 0) +10.
    expect(history.increase('req_total', {}, 20)).toEqual({ value: 11, coveredSeconds: 20, atMs: 30_000 });
    // only v2
    expect(history.increase('req_total', { version: 'v2' }, 20)?.value).toBe(10);
    expect(history.increase('req_total', { version: ['v1', 'v3'] }, 30)?.value).toBe(3);
  });

  it('covers one scrape interval for a window shorter than the scrape spacing', () => {
    const history = new ScrapeHistory();
    history.add(0, samples(counter({ v1: 1 })));
    history.add(1_000, samples(counter({ v1: 3 })));
    expect(history.increase('req_total', {}, 0.25)).toEqual({ value: 2, coveredSeconds: 1, atMs: 1_000 });
  });

  it('covers what it has when the history is shorter than the window', () => {
    const history = new ScrapeHistory();
    history.add(5_000, samples(counter({ v1: 1 })));
    history.add(6_000, samples(counter({ v1: 4 })));
    expect(history.increase('req_total', {}, 3_600)).toEqual({ value: 3, coveredSeconds: 1, atMs: 6_000 });
  });

  it('counts from zero after a counter reset', () => {
    const history = new ScrapeHistory();
    history.add(0, samples(counter({ v1: 10 })));
    history.add(1_000, samples(counter({ v1: 12 })));
    history.add(2_000, samples(counter({ v1: 3 }))); // restarted: 3 since the restart
    history.add(3_000, samples(counter({ v1: 4 })));
    expect(history.increase('req_total', {}, 3)?.value).toBe(2 + 3 + 1);
  });

  it('gives the increase of each histogram bucket summed across series', () => {
    const histogram = (v1: [number, number, number], v2: [number, number, number]): string =>
      [
        ['v1', v1],
        ['v2', v2],
      ]
        .flatMap(([version, [a, b, inf]]) => [
          `ttft_seconds_bucket{le="0.1",version="${version}"} ${a}`,
          `ttft_seconds_bucket{le="0.5",version="${version}"} ${b}`,
          `ttft_seconds_bucket{le="+Inf",version="${version}"} ${inf}`,
          `ttft_seconds_count{version="${version}"} ${inf}`,
        ])
        .join('\n');
    const history = new ScrapeHistory();
    history.add(0, samples(histogram([1, 1, 1], [0, 0, 0])));
    history.add(5_000, samples(histogram([3, 4, 4], [0, 1, 3])));
    expect(history.histogramIncrease('ttft_seconds', {}, 5)).toEqual({
      buckets: [
        { le: 0.1, count: 2 },
        { le: 0.5, count: 4 },
        { le: Infinity, count: 6 },
      ],
      count: 6,
      coveredSeconds: 5,
      atMs: 5_000,
    });
  });

  it('drops scrapes past the maximum age or count, and ignores a scrape older than the newest', () => {
    const history = new ScrapeHistory({ maxAgeSeconds: 10, maxScrapes: 3 });
    for (let t = 0; t <= 20_000; t += 5_000) history.add(t, samples(counter({ v1: t / 1000 })));
    expect(history.size).toBe(3);
    history.add(1_000, samples(counter({ v1: 0 })));
    expect(history.latest()?.atMs).toBe(20_000);
    expect(history.increase('req_total', {}, 3_600)).toEqual({ value: 10, coveredSeconds: 10, atMs: 20_000 });
  });
});
