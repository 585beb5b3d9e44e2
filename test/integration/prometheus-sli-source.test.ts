import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusSliSource } from '../../lambdas/adapters/prometheus-sli-source';
import { SloSchema, type Slo } from '../../lambdas/core/policy/schema';

/*
 * The Prometheus adapter over HTTP against a fake Prometheus on 127.0.0.1
 * that records every request and answers as /api/v1/query does.
 */

const KEY = { service: 'support-bot', model: 'support-llm' };
const NOW = new Date('2026-11-20T10:00:00.000Z');
const clock = { now: () => NOW };

const refusal: Slo = SloSchema.parse({
  id: 'adversarial-refusal-rate',
  description: 'refusals',
  sli: {
    name: 'refusal rate',
    kind: 'ratio',
    unit: 'ratio',
    query: 'sum(rate(llm_probe_responses_total{service="$service",outcome="refused"}[$window])) / sum(rate(llm_probe_responses_total{service="$service"}[$window]))',
  },
  objective: { comparator: 'gte', target: 0.999 },
  window: '1h',
  severity: 'sev1',
  alerts: [{ source: 'alertmanager', match: { alertname: 'X' } }],
  flap_hold: '0s',
  action_on_breach: ['kill_switch'],
});

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

describe('PrometheusSliSource against a fake Prometheus', () => {
  let server: http.Server;
  let base: string;
  let answer: Answer;
  let requests: { method: string; path: string; params: URLSearchParams; headers: http.IncomingHttpHeaders }[];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      requests.push({ method: req.method ?? '', path: url.pathname, params: url.searchParams, headers: req.headers });
      const send = (): void => {
        if (res.destroyed) return;
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(text);
      };
      if (answer.delayMs === undefined) send();
      else setTimeout(send, answer.delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    requests = [];
  });

  const vector = (value: string, metric: Record<string, string> = {}) => ({
    status: 'success',
    data: { resultType: 'vector', result: [{ metric, value: [1_795_168_800.123, value] }] },
  });

  it('sends the instant query with the window and key substituted, the time and the headers, and reads the sample', async () => {
    answer = { status: 200, body: vector('0.9925') };
    const source = new PrometheusSliSource({ baseUrl: `${base}/`, clock, headers: { authorization: 'Bearer t0ken' }, timeoutMs: 5_000 });
    const reading = await source.read(refusal, KEY, 300);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.method).toBe('GET');
    expect(request?.path).toBe('/prom/api/v1/query');
    expect(request?.params.get('query')).toBe('sum(rate(llm_probe_responses_total{service="support-bot",outcome="refused"}[5m])) / sum(rate(llm_probe_responses_total{service="support-bot"}[5m]))');
    expect(request?.params.get('time')).toBe('1795168800.000');
    expect(request?.params.get('timeout')).toBe('5s');
    expect(request?.headers.authorization).toBe('Bearer t0ken');
    expect(reading).toEqual({
      value: 0.9925,
      at: new Date(1_795_168_800_123).toISOString(),
      withinObjective: false,
      coveredSeconds: 300,
      query: request?.params.get('query'),
    });
  });

  it('reads a scalar result', async () => {
    answer = { status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [1_795_168_800, '1'] } } };
    expect(await new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).toMatchObject({ value: 1, withinObjective: true });
  });

  it('reads an empty vector and NaN as no data', async () => {
    answer = { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [] } } };
    expect(await new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).toMatchObject({ value: null, withinObjective: null, at: NOW.toISOString() });
    answer = { status: 200, body: vector('NaN') };
    expect(await new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).toMatchObject({ value: null, withinObjective: null });
  });

  it('refuses a result with several series', async () => {
    answer = {
      status: 200,
      body: { status: 'success', data: { resultType: 'vector', result: [vector('1', { model: 'a' }).data.result[0], vector('0.5', { model: 'b' }).data.result[0]] } },
    };
    await expect(new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).rejects.toMatchObject({ name: 'SliSourceError', retryable: false, code: 'ambiguous-result' });
  });

  it('makes a bad query final', async () => {
    answer = { status: 400, body: { status: 'error', errorType: 'bad_data', error: '1:15: parse error: unexpected "}"' } };
    await expect(new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).rejects.toMatchObject({
      retryable: false,
      code: 'bad-query',
      message: 'prometheus: HTTP 400 bad_data: 1:15: parse error: unexpected "}"',
    });
    answer = { status: 422, body: { status: 'error', errorType: 'execution', error: 'query processing would load too many samples' } };
    await expect(new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).rejects.toMatchObject({ retryable: false });
  });

  it('makes a Prometheus timeout, 5xx and 429 retryable, with Retry-After', async () => {
    answer = { status: 503, body: { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' } };
    await expect(new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).rejects.toMatchObject({ retryable: true, code: 'timeout' });
    answer = { status: 502, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } };
    await expect(new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).rejects.toMatchObject({ retryable: true, code: 'unavailable' });
    answer = { status: 429, body: 'slow down', headers: { 'retry-after': '7' } };
    await expect(new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).rejects.toMatchObject({ retryable: true, code: 'rate-limited', retryAfterSeconds: 7 });
  });

  it('makes an answer that is not the query API final', async () => {
    answer = { status: 200, body: '<html>login</html>' };
    await expect(new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).rejects.toMatchObject({ retryable: false, code: 'invalid-response' });
    answer = { status: 200, body: { status: 'success', data: { resultType: 'matrix', result: [] } } };
    await expect(new PrometheusSliSource({ baseUrl: base, clock }).read(refusal, KEY, 60)).rejects.toMatchObject({ retryable: false, code: 'unsupported-result' });
  });

  it('times out a slow Prometheus as retryable', async () => {
    answer = { status: 200, body: vector('1'), delayMs: 2_000 };
    await expect(new PrometheusSliSource({ baseUrl: base, clock, timeoutMs: 100 }).read(refusal, KEY, 60)).rejects.toMatchObject({ retryable: true, code: 'timeout' });
  });

  it('reports a refused connection as retryable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(new PrometheusSliSource({ baseUrl: `http://127.0.0.1:${port}`, clock }).read(refusal, KEY, 60)).rejects.toMatchObject({ retryable: true, code: 'unavailable' });
  });
});
