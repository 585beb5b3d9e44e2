import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isoWeek } from '../lambdas/core/incident';
import type { IncidentStore } from '../lambdas/core/ports';
import { MAX_BODY_BYTES } from '../lambdas/handlers/http';
import { BodyTooLargeError, readBody, toFunctionUrlEvent } from './http-event';
import type { PipelineMetrics } from './metrics';
import { renderIncident, renderIncidentList } from './pages';

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
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const jsonReply = (status: number, body: unknown): Reply => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const htmlReply = (body: string): Reply => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body });
const notFound = (what: string): Reply => jsonReply(404, { error: 'NotFound', message: what });

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
    const timeline = await routes.store.timeline(id);
    return { route: '/incidents/{id}', reply: one[2] === undefined ? jsonReply(200, { incident, timeline }) : htmlReply(renderIncident(incident, timeline)) };
  }
  if (path === '/') {
    const listed = await listIncidents(routes.store, url);
    return { route: '/', reply: 'status' in listed ? listed : htmlReply(renderIncidentList(listed.incidents)) };
  }
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
