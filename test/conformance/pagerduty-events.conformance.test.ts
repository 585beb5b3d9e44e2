import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { PagerDutyPager } from '../../lambdas/adapters/pagerduty-pager';
import { followUpEvent, triggerEvent } from '../../lambdas/core/engagement/page-events';
import { SIMULATOR_ROUTING_KEY, startPagerDutySimulator, type PagerDutySimulator } from '../../local/simulators/pagerduty-simulator';
import { makeIncident } from '../support/incidents';

/*
 * Conformance: every Events API v2 request Firebreak sends validates against
 * PagerDuty's published OpenAPI (PagerDuty/api-schema
 * reference/events-v2/openapiv3.json, in the shared fixtures directory), and
 * the simulator's 202 and 400 answers have the documented shapes (the
 * OpenAPI's Success response; the 400 body curated in
 * events-v2-responses-curated.json). When the directory is absent the suite
 * says so in a passing test and on stderr, rather than skipping silently.
 */

const ROOT = process.env['FIREBREAK_SHARED_FIXTURES']
  ? path.resolve(process.env['FIREBREAK_SHARED_FIXTURES'])
  : path.resolve(__dirname, '../../../shared/fixtures');
const DIR = path.join(ROOT, 'pagerduty');
const OPENAPI = path.join(DIR, 'events-v2.openapiv3.json');
const CURATED = path.join(DIR, 'events-v2-responses-curated.json');

const DOC_ID = 'pagerduty-events-v2';
const ENQUEUE_REQUEST = `${DOC_ID}#/paths/~1enqueue/post/requestBody/content/application~1json/schema`;
const SUCCESS_RESPONSE = `${DOC_ID}#/components/responses/Success/content/application~1json/schema`;
const ERROR_RESPONSE = `${DOC_ID}#/components/responses/Error/content/application~1json/schema`;

/** Ajv over the whole OpenAPI document, so `$ref`s like `#/components/schemas/Payload` resolve inside it. */
function compileFromDocument(document: unknown): (ref: string) => ValidateFunction {
  // strict: false — the document is OpenAPI, not JSON Schema: it has keywords
  // Ajv does not know (`openapi`, `paths`, `x-examples`, `example`…).
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // OpenAPI's `format: url` (links, images) is not a JSON Schema format: an absolute http(s) URL.
  ajv.addFormat('url', (value: string) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  });
  ajv.addSchema(document as object, DOC_ID);
  return (ref) => {
    const validate = ajv.getSchema(ref);
    if (validate === undefined) throw new Error(`no schema at ${ref} in ${OPENAPI}`);
    return validate;
  };
}

function errorsOf(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message ?? ''}`);
}

const present = existsSync(OPENAPI) && existsSync(CURATED);

describe('PagerDuty Events API v2 conformance', () => {
  if (!present) {
    it('reference fixtures are absent: conformance did not run', () => {
      process.stderr.write(
        `\n[conformance] No PagerDuty reference fixtures in ${DIR}: Events API v2 requests were NOT checked against ` +
          "PagerDuty's OpenAPI. Set FIREBREAK_SHARED_FIXTURES to the shared fixtures directory to run it.\n",
      );
      expect(present).toBe(false);
    });
    return;
  }

  const schemaAt = compileFromDocument(JSON.parse(readFileSync(OPENAPI, 'utf8')));
  const curated = JSON.parse(readFileSync(CURATED, 'utf8')) as {
    enqueue_request_example: { value: unknown };
    responses: { '202': { example: Record<string, unknown> }; '400': { example_body_raw: string } };
  };
  let pd: PagerDutySimulator;
  let pager: PagerDutyPager;

  beforeAll(async () => {
    pd = await startPagerDutySimulator();
    pager = new PagerDutyPager({ routingKey: SIMULATOR_ROUTING_KEY, server: pd.server, ca: pd.ca, sleep: async () => undefined });
  });
  afterAll(async () => {
    pager.close();
    await pd.close();
  });
  beforeEach(() => pd.reset());

  it("accepts PagerDuty's own request example (the validator reads the schema as intended)", () => {
    const validate = schemaAt(ENQUEUE_REQUEST);
    expect(validate(curated.enqueue_request_example.value)).toBe(true);
  });

  it('refuses bodies the schema forbids (the validator is not vacuous)', () => {
    const validate = schemaAt(ENQUEUE_REQUEST);
    const example = curated.enqueue_request_example.value as Record<string, unknown>;
    expect(validate({ ...example, event_action: 'snooze' })).toBe(false);
    expect(validate({ ...example, payload: { summary: 'no severity or source' } })).toBe(false);
    expect(validate({ ...example, links: [{ href: 'not a url' }] })).toBe(false);
  });

  it('sends trigger, acknowledge and resolve bodies that validate against the published request schema', async () => {
    const incident = makeIncident({ severity: 'sev1', observedValue: 0.942, modelVersion: '2026-11-01' });
    await pager.send(
      triggerEvent(
        incident,
        { objective: '>= 99.9 % refusals on adversarial prompts', observedValue: 0.942, burnRate: 28.8, modelVersion: '2026-11-01' },
        {
          channelUrl: 'https://slack.com/app_redirect?channel=C0FIREBRK',
          runbookUrl: 'https://github.com/example/firebreak/blob/main/runbooks/kill-switch.md',
          incidentUrl: 'http://127.0.0.1:8787/incidents/inc-20261121-5f2a9c1e',
        },
      ),
    );
    const paged = { ...incident, page: { dedupKey: incident.id, status: 'triggered' as const, attempts: 1 } };
    await pager.send(followUpEvent(paged, 'acknowledge'));
    await pager.send(followUpEvent(paged, 'resolve'));

    const validate = schemaAt(ENQUEUE_REQUEST);
    // events(): the bodies exactly as sent (calls() redacts the routing key); every call was accepted.
    const bodies = pd.events();
    expect(pd.calls().map((call) => call.status)).toEqual([202, 202, 202]);
    expect(bodies.map((body) => body['event_action'])).toEqual(['trigger', 'acknowledge', 'resolve']);
    for (const body of bodies) {
      const valid = validate(body);
      expect({ body, errors: errorsOf(validate) }).toEqual({ body, errors: [] });
      expect(valid).toBe(true);
    }
  });

  it('answers an accepted event with the documented 202 body', async () => {
    const incident = makeIncident();
    await pager.send(triggerEvent(incident));

    const [call] = pd.calls();
    expect(call?.status).toBe(202);
    const answer = await postRaw(pd, JSON.stringify({ ...(curated.enqueue_request_example.value as object), routing_key: SIMULATOR_ROUTING_KEY }));
    const validate = schemaAt(SUCCESS_RESPONSE);
    expect(answer.status).toBe(202);
    expect(validate(answer.body)).toBe(true);
    expect(Object.keys(answer.body as object).sort()).toEqual(Object.keys(curated.responses['202'].example).sort());
    expect(answer.body).toMatchObject({ status: 'success', message: 'Event processed', dedup_key: 'srv01/mysql' });
  });

  it('answers an invalid event with the documented 400 body', async () => {
    const answer = await postRaw(pd, JSON.stringify({ routing_key: 'short', event_action: 'trigger', payload: { summary: 'x', severity: 'fatal', source: 'y' } }));
    const documented = JSON.parse(curated.responses['400'].example_body_raw) as Record<string, unknown>;

    expect(answer.status).toBe(400);
    expect(schemaAt(ERROR_RESPONSE)(answer.body)).toBe(true);
    expect(Object.keys(answer.body as object).sort()).toEqual(Object.keys(documented).sort());
    expect(answer.body).toMatchObject({ status: documented['status'], message: documented['message'] });
    expect((answer.body as { errors: string[] }).errors).toEqual([
      "Length of 'routing_key' is incorrect (should be 32 characters)",
      "'payload.severity' is invalid (must be one of critical, error, warning, info)",
    ]);
  });
});

/** POSTs a raw body to the simulator's `/v2/enqueue`, trusting its CA. */
async function postRaw(pd: PagerDutySimulator, body: string): Promise<{ status: number; body: unknown }> {
  const { request } = await import('node:https');
  const [host, port] = pd.server.split(':');
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port: Number(port), path: '/v2/enqueue', method: 'POST', ca: pd.ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
