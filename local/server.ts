import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { isoWeek, type Incident } from '../lambdas/core/incident';
import type { IncidentStore } from '../lambdas/core/ports';
import { MAX_BODY_BYTES } from '../lambdas/handlers/http';
import { BodyTooLargeError, readBody, toFunctionUrlEvent } from './http-event';
import type { PipelineMetrics } from './metrics';
import { renderIncidentList, type IncidentListScope } from './pages/incident-list';
import { renderIncidentPage, type PostmortemState, type RegressionCasesState } from './pages/incident-page';
import { PAGE_SECURITY_HEADERS } from './pages/layout';
import { chartPath, postmortemPath, regressionCasesOf, REVIEW_WEEK_PATTERN, reviewPath, reviewWeeks, type RecordsReader } from './pages/records-views';
import { renderReviewList, renderReviewPage } from './pages/review-page';

/** An HTTP-invoked Lambda handler (Function URL / HTTP API payload 2.0). */
export type HttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2 | unknown>;

/** What the embedded HTTP server routes to. */
export interface ServerRoutes {
  /** POST routes served by Lambda handlers, by path (`/alerts/alertmanager`, `/slack/commands`, …). */
  readonly post: Readonly<Record<string, HttpHandler>>;
  /** GET routes that answer JSON (`/simulators/pagerduty`, …). */
  readonly getJson: Readonly<Record<string, () => unknown>>;
  readonly store: IncidentStore;
  readonly metrics: PipelineMetrics;
  /**
   * The records repository (`corpus/`, `postmortems/`, `reviews/`), read by
   * the incident and review pages. Without it the pages say that no records
   * repository is configured.
   */
  readonly records?: RecordsReader;
  /** What `POST /incidents/{id}/postmortem` and `POST /reviews/weekly` run; without it they answer 503. */
  readonly actions?: PageActions;
}

/**
 * Actions people can start over HTTP. Their results are answered as JSON;
 * an error named `InvalidInputError` becomes a 400, `IncidentNotFoundError`
 * a 404, any other a 500.
 */
export interface PageActions {
  /** Drafts (or redrafts) the postmortem of an incident into the records repository. */
  draftPostmortem(incidentId: string): Promise<unknown>;
  /** Writes the weekly review of `week` (`YYYY-Www`; default: the last complete week). */
  weeklyReview(week?: string): Promise<unknown>;
}

/** Body of `POST /reviews/weekly`. */
const WeeklyReviewRequestSchema = z
  .object({ week: z.string().regex(REVIEW_WEEK_PATTERN, 'expected an ISO week like 2026-W07 (YYYY-Www)').optional() })
  .strict();

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const jsonReply = (status: number, body: unknown): Reply => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const htmlReply = (body: string): Reply => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8', ...PAGE_SECURITY_HEADERS }, body });
const notFound = (what: string): Reply => jsonReply(404, { error: 'NotFound', message: what });
const methodNotAllowed = (method: string, path: string, allowed: string): Reply => jsonReply(405, { error: 'MethodNotAllowed', message: `${method} ${path}: use ${allowed}` });
/** A chart from the records repository: never run as a document, never sniffed as anything else. */
const svgReply = (body: string): Reply => ({
  status: 200,
  headers: { 'content-type': 'image/svg+xml', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'x-content-type-options': 'nosniff' },
  body,
});

/** Weeks `GET /incidents` covers by default: this one and the three before. */
function recentWeeks(now: Date, count = 4): string[] {
  return Array.from({ length: count }, (_, i) => isoWeek(new Date(now.getTime() - i * 7 * 86_400_000)));
}

async function listIncidents(store: IncidentStore, url: URL): Promise<Reply | { incidents: Awaited<ReturnType<IncidentStore['listActive']>> }> {
  if (url.searchParams.get('active') === 'true') return { incidents: await store.listActive() };
  const week = url.searchParams.get('week');
  if (week !== null && !/^\d{4}-W\d{2}$/.test(week)) return jsonReply(400, { error: 'InvalidQuery', message: `week must look like 2026-W47, got ${JSON.stringify(week)}` });
  const weeks = week === null ? recentWeeks(new Date()) : [week];
  const incidents = (await Promise.all(weeks.map((w) => store.listByWeek(w)))).flat();
  return { incidents: incidents.sort((a, b) => b.openedAt.localeCompare(a.openedAt)) };
}

function listScope(url: URL): IncidentListScope {
  if (url.searchParams.get('active') === 'true') return { kind: 'active' };
  const week = url.searchParams.get('week');
  return week === null ? { kind: 'recent' } : { kind: 'week', week };
}

/** Runs an action and answers its result as JSON, mapping input and not-found errors to 400 and 404. */
async function runAction(run: () => Promise<unknown>): Promise<Reply> {
  try {
    const result = await run();
    return jsonReply(200, result === undefined ? { ok: true } : result);
  } catch (error) {
    const failure = error as { name?: unknown; message?: unknown; issues?: unknown };
    const body = { error: failure?.name, message: failure?.message, ...(failure?.issues === undefined ? {} : { issues: failure.issues }) };
    if (failure?.name === 'InvalidInputError') return jsonReply(400, body);
    if (failure?.name === 'IncidentNotFoundError') return jsonReply(404, body);
    throw error;
  }
}

async function readJsonBody(req: http.IncomingMessage): Promise<{ ok: true; json: unknown } | { ok: false; reply: Reply }> {
  let body: string;
  try {
    body = await readBody(req, MAX_BODY_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { ok: false, reply: jsonReply(413, { error: 'PayloadTooLarge', message: `body exceeds ${MAX_BODY_BYTES} bytes (1 MiB)` }) };
    throw error;
  }
  if (body.trim() === '') return { ok: true, json: {} };
  try {
    return { ok: true, json: JSON.parse(body) };
  } catch (error) {
    return { ok: false, reply: jsonReply(400, { error: 'InvalidJson', message: `body is not JSON: ${(error as Error).message}` }) };
  }
}

/** A percent-decoded path segment, or undefined when its encoding is malformed. */
function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    // URIError: no incident can have this id.
    return undefined;
  }
}

/** `POST /incidents/{id}/postmortem` and `POST /reviews/weekly`, or undefined for other paths. */
async function actionRoute(routes: ServerRoutes, req: http.IncomingMessage, method: string, path: string): Promise<{ reply: Reply; route: string } | undefined> {
  const postmortem = /^\/incidents\/([^/]+)\/postmortem$/.exec(path);
  if (postmortem !== null) {
    const route = '/incidents/{id}/postmortem';
    if (method !== 'POST') return { route, reply: methodNotAllowed(method, path, 'POST') };
    if (routes.actions === undefined) return { route, reply: jsonReply(503, { error: 'ActionsUnavailable', message: 'drafting postmortems is not configured on this server' }) };
    const id = safeDecode(postmortem[1] ?? '');
    if (id === undefined || (await routes.store.get(id)) === undefined) return { route, reply: notFound(`no incident ${id ?? postmortem[1]}`) };
    const actions = routes.actions;
    return { route, reply: await runAction(() => actions.draftPostmortem(id)) };
  }
  if (path === '/reviews/weekly') {
    const route = path;
    if (method !== 'POST') return { route, reply: methodNotAllowed(method, path, 'POST') };
    if (routes.actions === undefined) return { route, reply: jsonReply(503, { error: 'ActionsUnavailable', message: 'weekly reviews are not configured on this server' }) };
    const body = await readJsonBody(req);
    if (!body.ok) return { route, reply: body.reply };
    const parsed = WeeklyReviewRequestSchema.safeParse(body.json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
      return { route, reply: jsonReply(400, { error: 'InvalidInput', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues }) };
    }
    const actions = routes.actions;
    return { route, reply: await runAction(() => actions.weeklyReview(parsed.data.week)) };
  }
  return undefined;
}

async function incidentPage(routes: ServerRoutes, incident: Incident): Promise<string> {
  const timeline = await routes.store.timeline(incident.id);
  const records = routes.records;
  let postmortem: PostmortemState = { state: 'unavailable' };
  let cases: RegressionCasesState = { state: 'unavailable' };
  if (records !== undefined) {
    const path = postmortemPath(incident);
    const [markdown, harvested] = await Promise.all([records.read(path), regressionCasesOf(records, incident.id)]);
    postmortem = markdown === undefined ? { state: 'missing', path } : { state: 'drafted', path, markdown };
    cases = { state: 'listed', ...harvested };
  }
  return renderIncidentPage({ incident, timeline, postmortem, cases });
}

/** `GET /reviews`, `GET /reviews/{week}` and `GET /reviews/{week}/{name}.svg`, or undefined for other paths. */
async function reviewRoute(records: RecordsReader | undefined, path: string): Promise<{ reply: Reply; route: string } | undefined> {
  if (path === '/reviews') return { route: path, reply: htmlReply(renderReviewList(records === undefined ? undefined : await reviewWeeks(records))) };
  const review = /^\/reviews\/([^/]+)$/.exec(path);
  if (review !== null && REVIEW_WEEK_PATTERN.test(review[1] ?? '')) {
    const week = review[1] as string;
    const route = '/reviews/{week}';
    if (records === undefined) return { route, reply: notFound(`no review ${week}: no records repository is configured`) };
    const markdown = await records.read(reviewPath(week));
    return { route, reply: markdown === undefined ? notFound(`no review ${week}`) : htmlReply(renderReviewPage(week, markdown)) };
  }
  const chart = /^\/reviews\/([^/]+)\/([^/]+)\.svg$/.exec(path);
  if (chart !== null) {
    const route = '/reviews/{week}/{chart}';
    const file = chartPath(chart[1] ?? '', chart[2] ?? '');
    if (file === undefined || records === undefined) return { route, reply: notFound(`no chart ${path}`) };
    const svg = await records.read(file);
    return { route, reply: svg === undefined ? notFound(`no chart ${path}`) : svgReply(svg) };
  }
  return undefined;
}

async function route(routes: ServerRoutes, req: http.IncomingMessage, url: URL): Promise<{ reply: Reply; route: string }> {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const handler = routes.post[path];
  if (handler !== undefined) {
    if (method !== 'POST') return { route: path, reply: jsonReply(405, { error: 'MethodNotAllowed', message: `${method} ${path}: use POST` }) };
    let body: string;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return { route: path, reply: jsonReply(413, { error: 'PayloadTooLarge', message: `body exceeds ${MAX_BODY_BYTES} bytes (1 MiB)` }) };
      throw error;
    }
    const result = (await handler(toFunctionUrlEvent(req, url, body))) as APIGatewayProxyStructuredResultV2;
    return {
      route: path,
      reply: { status: result.statusCode ?? 200, headers: (result.headers as Record<string, string>) ?? { 'content-type': 'application/json' }, body: String(result.body ?? '') },
    };
  }
  const action = await actionRoute(routes, req, method, path);
  if (action !== undefined) return action;
  if (method !== 'GET' && method !== 'HEAD') return { route: 'unknown', reply: notFound(`no route for ${method} ${path}`) };
  if (path === '/healthz') return { route: path, reply: jsonReply(200, { ok: true }) };
  const getter = routes.getJson[path];
  if (getter !== undefined) return { route: path, reply: jsonReply(200, getter()) };
  if (path === '/metrics') {
    return { route: path, reply: { status: 200, headers: { 'content-type': routes.metrics.registry.contentType }, body: await routes.metrics.registry.metrics() } };
  }
  if (path === '/incidents') {
    const listed = await listIncidents(routes.store, url);
    return { route: path, reply: 'status' in listed ? listed : jsonReply(200, listed) };
  }
  const one = /^\/incidents\/([^/]+)(\/page)?$/.exec(path);
  if (one !== null) {
    const id = decodeURIComponent(one[1] ?? '');
    const incident = await routes.store.get(id);
    if (incident === undefined) return { route: '/incidents/{id}', reply: notFound(`no incident ${id}`) };
    if (one[2] !== undefined) return { route: '/incidents/{id}', reply: htmlReply(await incidentPage(routes, incident)) };
    const timeline = await routes.store.timeline(id);
    return { route: '/incidents/{id}', reply: jsonReply(200, { incident, timeline }) };
  }
  if (path === '/') {
    const listed = await listIncidents(routes.store, url);
    return { route: '/', reply: 'status' in listed ? listed : htmlReply(renderIncidentList(listed.incidents, listScope(url))) };
  }
  const review = await reviewRoute(routes.records, path);
  if (review !== undefined) return review;
  return { route: 'unknown', reply: notFound(`no route for ${method} ${path}`) };
}

/**
 * The embedded target's HTTP server: the public routes of DESIGN.md on
 * loopback. Every failure becomes a JSON error; nothing a client sends can
 * crash the process.
 */
export async function startHttpServer(routes: ServerRoutes, options: { host: string; port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    route(routes, req, url)
      .catch((error: unknown) => ({ route: 'error', reply: jsonReply(500, { error: (error as Error).name ?? 'Error', message: (error as Error).message ?? String(error) }) }))
      .then(({ route: name, reply }) => {
        res.writeHead(reply.status, reply.headers);
        res.end(req.method === 'HEAD' ? undefined : reply.body);
        routes.metrics.httpRequests.inc({ route: name, method: req.method ?? 'GET', status: String(reply.status) });
        routes.metrics.httpDuration.observe({ route: name }, Number(process.hrtime.bigint() - started) / 1e9);
      });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
