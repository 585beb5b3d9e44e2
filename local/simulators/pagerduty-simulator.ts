import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

/*
 * A PagerDuty stand-in for the embedded target and for tests: the Events API
 * v2 (`POST /v2/enqueue`) and the one REST call Firebreak makes (`GET
 * /oncalls`), over HTTPS because pdjs speaks nothing else.
 *
 * What it copies from PagerDuty, and where that comes from:
 * - Events API v2 request rules and the 202 body: PagerDuty/api-schema
 *   `reference/events-v2/openapiv3.json` (routing_key and event_action
 *   required; payload.summary/severity/source required for a trigger; the
 *   severity and event_action enums; dedup_key "required unless the event is a
 *   trigger"); a trigger without a dedup_key gets a generated one.
 * - The 400 body `{status: 'invalid event', message: 'Event object is invalid',
 *   errors: [...]}` and the 32-character routing key check ("Length of
 *   'routing_key' is incorrect (should be 32 characters)"): PagerDuty answers
 *   as quoted by envato/pagerduty's README and Alertmanager's notifier tests.
 * - 429 "Request Limit Exceeded" with no documented body
 *   (developer-docs events-API-v2/05-Rate-Limits.md): a plain-text body here,
 *   so clients cannot come to depend on one.
 * - The Events API is asynchronous: acknowledge/resolve for an unknown
 *   dedup_key is still a 202 (the event is dropped later, not refused).
 * - REST: `Authorization: Token token=…` (or `Bearer …`) or 401 with the
 *   REST error body `{error: {message, code: 2006}}` (REST-API/14-Errors.md);
 *   `/oncalls` filtered by `escalation_policy_ids[]`, paged with
 *   `limit`/`offset`/`more`; the user is a `user_reference` (no e-mail) unless
 *   `include[]=users` asks for the full user.
 */

/** One person on call in the simulated account. */
export interface RosterEntry {
  /** The escalation policy they are on call for; `*` for every policy asked about. */
  readonly escalationPolicyId: string;
  readonly email: string;
  readonly name: string;
}

/** A fault the simulator plays instead of (or, for `delayMs`, before) its normal answer. */
export type PagerDutyFault =
  | { readonly status: 429; readonly retryAfter?: number }
  | { readonly status: 500 | 502 | 503 }
  | { readonly status: 400 }
  | { readonly delayMs: number };

/** One request as the simulator received it. Credentials are redacted. */
export interface RecordedCall {
  /** Arrival time, ISO-8601. */
  readonly at: string;
  readonly method: string;
  /** The request target: path and query string, e.g. `/oncalls?include%5B%5D=users`. */
  readonly path: string;
  /** Lower-case header names; `authorization` is redacted. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body (its `routing_key` redacted), the raw text when it is not JSON, or `undefined` when empty. */
  readonly body: unknown;
  /** The HTTP status the simulator answered with. */
  readonly status: number;
  /** The fault that was played for this call, if any. */
  readonly fault?: PagerDutyFault;
}

/** A running simulator. */
export interface PagerDutySimulator {
  /** `host:port`, as pdjs's `server` option (`https://{server}/v2/enqueue`). */
  readonly server: string;
  /** PEM of the simulator's self-signed certificate: trust it as an extra CA. */
  readonly ca: string;
  /** Every call answered so far, in order of arrival. */
  calls(): RecordedCall[];
  /**
   * The Events API v2 bodies it accepted (202), oldest first, exactly as sent:
   * they include the `routing_key`, so never expose them beyond the process.
   */
  events(): Record<string, unknown>[];
  /** Queues faults; each request consumes the next one, in order. */
  injectFaults(faults: readonly PagerDutyFault[]): void;
  /** Forgets calls, events and pending faults. */
  reset(): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

/** Options of {@link startPagerDutySimulator}. */
export interface PagerDutySimulatorOptions {
  /** Who is on call, per escalation policy. Default: nobody. */
  readonly roster?: readonly RosterEntry[];
  /** The only REST API token accepted. Default: any non-empty token. */
  readonly apiToken?: string;
}

/** A routing key of the length PagerDuty requires (32 characters), for the embedded target and tests. */
export const SIMULATOR_ROUTING_KEY = 'f1rebreak0simulated0routing0key0';

const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const REST_MAX_LIMIT = 100;
const REST_DEFAULT_LIMIT = 25;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts the PagerDuty simulator on `127.0.0.1` (a free port) with a fresh
 * self-signed certificate for `127.0.0.1` and `localhost`.
 *
 * @example
 * const pd = await startPagerDutySimulator({ roster: [{ escalationPolicyId: 'PEP0001', email: 'ana@example.com', name: 'Ana' }] });
 * const pager = new PagerDutyPager({ routingKey: SIMULATOR_ROUTING_KEY, server: pd.server, ca: pd.ca });
 * await pager.send({ action: 'trigger', dedupKey: 'inc-20261121-0badcafe', summary: 'SLO breached', severity: 'error', source: 'firebreak/support-bot' });
 * pd.events(); // => [{ routing_key: …, event_action: 'trigger', … }]
 * await pd.close();
 */
export async function startPagerDutySimulator(options: PagerDutySimulatorOptions = {}): Promise<PagerDutySimulator> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });

  const roster = [...(options.roster ?? [])];
  // Indexed by arrival: a delayed answer is recorded in the slot its request got.
  let calls: (RecordedCall | undefined)[] = [];
  let events: Record<string, unknown>[] = [];
  let faults: PagerDutyFault[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const at = new Date().toISOString();
    const slot = calls.length;
    calls.push(undefined);
    const generation = calls;
    readBody(req)
      .then(async (raw) => {
        const fault = faults.shift();
        if (fault !== undefined && 'delayMs' in fault) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              timers.delete(timer);
              resolve();
            }, fault.delayMs);
            timers.add(timer);
          });
        }
        const reply = fault !== undefined && 'status' in fault ? faultReply(req, fault) : route(req, raw);
        if (reply.accepted !== undefined && generation === calls) events.push(reply.accepted);
        generation[slot] = {
          at,
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: redactHeaders(req.headers),
          body: recordedBody(raw),
          status: reply.status,
          ...(fault === undefined ? {} : { fault }),
        };
        send(res, reply);
      })
      .catch((error: unknown) => {
        send(res, eventsError(400, 'Unrecognized object', 'Event object format is unrecognized', [String(error)]));
      });
  });

  function route(req: IncomingMessage, raw: string): Reply {
    const url = new URL(req.url ?? '/', 'https://simulator.invalid');
    if (url.pathname === '/v2/enqueue' && req.method === 'POST') return enqueue(raw);
    if (url.pathname === '/oncalls' && req.method === 'GET') return oncalls(req, url, roster, options.apiToken);
    return restError(404, 'Not Found', 2100);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    server: `127.0.0.1:${port}`,
    ca: pems.cert,
    calls: () => calls.filter((call): call is RecordedCall => call !== undefined).map((call) => ({ ...call })),
    events: () => events.map((event) => structuredClone(event)),
    injectFaults: (more) => {
      faults.push(...more);
    },
    reset: () => {
      calls = [];
      events = [];
      faults = [];
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON body, or a string sent as text/plain. */
  readonly body: unknown;
  /** The Events API body that was accepted, for `events()`. */
  readonly accepted?: Record<string, unknown>;
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.writableEnded || res.destroyed) return;
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
    ...reply.headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// --- Events API v2 ---------------------------------------------------------

function eventsError(status: number, statusText: string, message: string, errors: string[]): Reply {
  return { status, body: { status: statusText, message, errors } };
}

function invalidEvent(errors: string[]): Reply {
  return eventsError(400, 'invalid event', 'Event object is invalid', errors);
}

function enqueue(raw: string): Reply {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return eventsError(400, 'Unrecognized object', 'Event object format is unrecognized', ['JSON parse error']);
  }
  if (!isRecord(body)) {
    return eventsError(400, 'Unrecognized object', 'Event object format is unrecognized', ['Event is not a JSON object']);
  }
  const errors = eventErrors(body);
  if (errors.length > 0) return invalidEvent(errors);
  const dedupKey = typeof body['dedup_key'] === 'string' && body['dedup_key'] !== '' ? body['dedup_key'] : randomBytes(16).toString('hex');
  return {
    status: 202,
    body: { status: 'success', message: 'Event processed', dedup_key: dedupKey },
    accepted: structuredClone(body),
  };
}

/** The problems PagerDuty would report for an Events API v2 body. */
function eventErrors(body: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const routingKey = body['routing_key'];
  if (typeof routingKey !== 'string' || routingKey === '') errors.push("'routing_key' is missing or blank");
  else if (routingKey.length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");

  const action = body['event_action'];
  if (typeof action !== 'string' || action === '') errors.push("'event_action' is missing or blank");
  else if (!ACTIONS.includes(action)) errors.push(`'event_action' is invalid (must be one of ${ACTIONS.join(', ')})`);

  const dedupKey = body['dedup_key'];
  if (dedupKey !== undefined && typeof dedupKey !== 'string') errors.push("'dedup_key' must be a string");
  else if (typeof dedupKey === 'string' && dedupKey.length > 255) errors.push("'dedup_key' is too long (at most 255 characters)");
  if ((action === 'acknowledge' || action === 'resolve') && (typeof dedupKey !== 'string' || dedupKey === '')) {
    errors.push(`'dedup_key' is required for '${action}' events`);
  }

  if (action === 'trigger') {
    const payload = body['payload'];
    if (!isRecord(payload)) {
      errors.push("'payload' is missing or not an object");
    } else {
      for (const field of ['summary', 'source']) {
        const value = payload[field];
        if (typeof value !== 'string' || value.trim() === '') errors.push(`'payload.${field}' is missing or blank`);
      }
      const severity = payload['severity'];
      if (typeof severity !== 'string' || severity === '') errors.push("'payload.severity' is missing or blank");
      else if (!SEVERITIES.includes(severity)) errors.push(`'payload.severity' is invalid (must be one of ${SEVERITIES.join(', ')})`);
      for (const field of ['component', 'group', 'class', 'timestamp']) {
        if (payload[field] !== undefined && typeof payload[field] !== 'string') errors.push(`'payload.${field}' must be a string`);
      }
      if (typeof payload['timestamp'] === 'string' && Number.isNaN(Date.parse(payload['timestamp']))) {
        errors.push("'payload.timestamp' is not a valid ISO 8601 timestamp");
      }
      if (payload['custom_details'] !== undefined && !isRecord(payload['custom_details'])) {
        errors.push("'payload.custom_details' must be an object");
      }
    }
  }

  errors.push(...listErrors(body['links'], 'links', 'href'), ...listErrors(body['images'], 'images', 'src'));
  return errors;
}

function listErrors(value: unknown, name: string, required: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [`'${name}' must be an array`];
  return value.flatMap((item: unknown, index) =>
    isRecord(item) && typeof item[required] === 'string' && item[required] !== '' ? [] : [`'${name}[${index}].${required}' is missing or blank`],
  );
}

// --- REST API --------------------------------------------------------------

function restError(status: number, message: string, code: number): Reply {
  return { status, body: { error: { message, code } } };
}

function authorised(req: IncomingMessage, apiToken: string | undefined): boolean {
  const token = /^(?:Token token=|Bearer )(\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  return token !== undefined && (apiToken === undefined || token === apiToken);
}

function oncalls(req: IncomingMessage, url: URL, roster: readonly RosterEntry[], apiToken: string | undefined): Reply {
  if (!authorised(req, apiToken)) return restError(401, 'Authentication failed', 2006);
  const params = url.searchParams;
  const limit = params.has('limit') ? Number(params.get('limit')) : REST_DEFAULT_LIMIT;
  const offset = params.has('offset') ? Number(params.get('offset')) : 0;
  if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0) {
    return { status: 400, body: { error: { message: 'Invalid Input Provided', code: 2001, errors: ['limit and offset must be non-negative integers'] } } };
  }
  const pageSize = Math.min(limit, REST_MAX_LIMIT);
  const policies = params.getAll('escalation_policy_ids[]');
  const includeUsers = params.getAll('include[]').includes('users');
  // One on-call per (policy, person); a `*` entry is on call for each policy asked about.
  const entries = roster.flatMap((entry): RosterEntry[] => {
    if (policies.length === 0) return [entry];
    if (entry.escalationPolicyId === '*') return policies.map((id) => ({ ...entry, escalationPolicyId: id }));
    return policies.includes(entry.escalationPolicyId) ? [entry] : [];
  });
  const page = entries.slice(offset, offset + pageSize);
  return {
    status: 200,
    body: {
      oncalls: page.map((entry) => ({
        escalation_policy: {
          id: entry.escalationPolicyId,
          type: 'escalation_policy_reference',
          summary: `Escalation policy ${entry.escalationPolicyId}`,
          self: `https://api.pagerduty.com/escalation_policies/${entry.escalationPolicyId}`,
          html_url: `https://simulated.pagerduty.com/escalation_policies/${entry.escalationPolicyId}`,
        },
        escalation_level: 1,
        schedule: null,
        user: includeUsers ? fullUser(entry) : userReference(entry),
        start: null,
        end: null,
      })),
      limit: pageSize,
      offset,
      more: offset + pageSize < entries.length,
      total: params.get('total') === 'true' ? entries.length : null,
    },
  };
}

function userId(email: string): string {
  return `P${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 6).toUpperCase()}`;
}

function userReference(entry: RosterEntry): Record<string, unknown> {
  const id = userId(entry.email);
  return {
    id,
    type: 'user_reference',
    summary: entry.name,
    self: `https://api.pagerduty.com/users/${id}`,
    html_url: `https://simulated.pagerduty.com/users/${id}`,
  };
}

function fullUser(entry: RosterEntry): Record<string, unknown> {
  return { ...userReference(entry), type: 'user', name: entry.name, email: entry.email, time_zone: 'Etc/UTC', role: 'user' };
}

// --- faults, recording -----------------------------------------------------

function faultReply(req: IncomingMessage, fault: Exclude<PagerDutyFault, { delayMs: number }>): Reply {
  const events = (req.url ?? '').startsWith('/v2/');
  switch (fault.status) {
    case 429:
      return {
        status: 429,
        headers: fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) },
        body: events ? 'Request Limit Exceeded' : { error: { message: 'Rate Limit Exceeded', code: 2020 } },
      };
    case 400:
      return events ? invalidEvent(['Injected fault: event refused']) : restError(400, 'Invalid Input Provided', 2001);
    case 500:
      return events ? eventsError(500, 'Internal Server Error', 'An internal error occurred', ['Injected fault']) : restError(500, 'An internal error has occurred.', 2000);
    default:
      // What a load balancer in front of an unhealthy backend sends: not JSON.
      return { status: fault.status, body: `<html><body><h1>${fault.status} Service Unavailable</h1></body></html>` };
  }
}

function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = name === 'authorization' ? redactAuthorization(String(value)) : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function redactAuthorization(value: string): string {
  const scheme = /^(Token token=|Bearer )/.exec(value)?.[1];
  return `${scheme ?? ''}[REDACTED]`;
}

function recordedBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isRecord(parsed) && typeof parsed['routing_key'] === 'string') return { ...parsed, routing_key: '[REDACTED]' };
    return parsed;
  } catch {
    return raw;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
