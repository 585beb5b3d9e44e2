import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logger } from '../../lambdas/adapters/logger';
import { helpText } from '../../lambdas/core/commands/operations';
import { parseResponders } from '../../lambdas/core/commands/responders';
import { openIncident } from '../../lambdas/core/incident-lifecycle';
import { createSlackEventsHandler, type SlackEventsHandler } from '../../lambdas/handlers/slack-events';
import { ACTION_IDS } from '../../lambdas/slack/blocks';
import { startSlackSimulator, type SlackSimulator } from '../../local/simulators/slack-simulator';
import { controlState, InMemoryIncidentStore, RecordingModelControlPlane, RecordingWorkflowStarter } from '../support/in-memory-ports';
import { makeSignal, ManualClock } from '../support/signals';
import { slackSignedHeaders } from '../support/signing';

/*
 * Conformance: the request bodies Slack's own SDKs test their receivers with
 * (shared fixtures, see SOURCES.md: bolt-js's AwsLambdaReceiver slash command
 * and bolt-python's block_actions scenario) are signed as Slack signs them
 * (`v0=` HMAC-SHA256 over `v0:{timestamp}:{body}`) and sent through the Slack
 * entry point (`createSlackEventsHandler`) as Lambda Function URL / API
 * Gateway payload-2.0 events, with in-memory ports and the Slack simulator as
 * the Web API. Where a body is changed before signing, the test says what and
 * why; everything else in it is sent as published.
 * When the directory is absent the suite says so in a passing test and on
 * stderr, rather than skipping silently.
 */

const ROOT = process.env['FIREBREAK_SHARED_FIXTURES']
  ? path.resolve(process.env['FIREBREAK_SHARED_FIXTURES'])
  : path.resolve(__dirname, '../../../shared/fixtures');
const DIR = path.join(ROOT, 'slack');
const SLASH_COMMAND = path.join(DIR, 'slash-command.bolt-js.body.txt');
const BLOCK_ACTIONS = path.join(DIR, 'block_actions.bolt-python.body.txt');
const BLOCK_ACTIONS_JSON = path.join(DIR, 'block_actions.bolt-python.json');

const SIGNING_SECRET = 'conformance-signing-secret-0123456789';
const TOKEN = 'xoxb-conformance';
const INCIDENT_ID = 'inc-20261121-0a1b2c3d';

const present = existsSync(SLASH_COMMAND) && existsSync(BLOCK_ACTIONS) && existsSync(BLOCK_ACTIONS_JSON);

/**
 * A fixture body as the SDK's test sends it. The files end with a newline
 * that is not part of the body (bolt-js's is a string literal; bolt-python's
 * is built in the test), so that one newline is dropped.
 */
function fixtureBody(file: string): string {
  return readFileSync(file, 'utf8').replace(/\n$/, '');
}

/** A form body with the named fields' values replaced; every other byte is kept as published. */
function withFormFields(body: string, fields: Readonly<Record<string, string>>): string {
  return body
    .split('&')
    .map((pair) => {
      const name = decodeURIComponent(pair.split('=')[0] ?? '');
      const value = fields[name];
      return value === undefined ? pair : `${pair.split('=')[0]}=${encodeURIComponent(value)}`;
    })
    .join('&');
}

/** The JSON of an interaction body (`payload=<url-encoded JSON>`). */
function interactionPayload(body: string): Record<string, unknown> {
  const payload = new URLSearchParams(body).get('payload');
  if (payload === null) throw new Error('the body has no payload field');
  return JSON.parse(payload) as Record<string, unknown>;
}

/** A signed payload-2.0 event, as a Function URL (or HTTP API) hands it to the Lambda. */
function slackEvent(rawPath: string, body: string, options: { readonly timestamp?: number; readonly secret?: string } = {}): APIGatewayProxyEventV2 {
  const headers = slackSignedHeaders(body, options.secret ?? SIGNING_SECRET, options.timestamp);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: { ...headers, 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)' },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'slack-events',
      domainName: 'slack-events.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'slack-events',
      http: { method: 'POST', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Slackbot 1.0' },
      requestId: 'req-conformance',
      routeKey: '$default',
      stage: '$default',
      time: '21/Nov/2026:10:05:00 +0000',
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

describe('Slack requests built from the SDKs’ reference bodies', () => {
  if (!present) {
    it('reference fixtures are absent: conformance did not run', () => {
      process.stderr.write(
        `\n[conformance] No Slack reference request bodies in ${DIR}: signed slash commands and block_actions from ` +
          'bolt-js / bolt-python were NOT sent through the Slack entry point. Set FIREBREAK_SHARED_FIXTURES to the shared fixtures directory to run it.\n',
      );
      expect(present).toBe(false);
    });
    return;
  }

  /** The fixtures' workspace values: the person, and the channel the command and the button come from. */
  const FIXTURE_USER = 'W111';
  const FIXTURE_CHANNEL = 'C111';

  let slack: SlackSimulator;
  let store: InMemoryIncidentStore;
  let starter: RecordingWorkflowStarter;
  let control: RecordingModelControlPlane;
  /** A Slack entry point on the simulator and the in-memory ports, with these responders. */
  const entryPoint = (responders: string): SlackEventsHandler =>
    createSlackEventsHandler({
      signingSecret: SIGNING_SECRET,
      token: TOKEN,
      slackApiUrl: slack.url,
      store,
      starter,
      clock: new ManualClock(new Date('2026-11-21T10:05:00.000Z')),
      responders: parseResponders(responders),
      control,
    });
  /** Web API calls other than the app's `auth.test`. */
  const webApiWork = () => slack.calls().filter((c) => c.method !== 'auth.test');

  beforeAll(() => {
    logger.setLogLevel('CRITICAL');
  });

  beforeEach(async () => {
    slack = await startSlackSimulator({ token: TOKEN });
    store = new InMemoryIncidentStore();
    starter = new RecordingWorkflowStarter();
    control = new RecordingModelControlPlane();
    await control.seed(controlState());
    // An open incident whose channel is the fixtures' channel.
    const opened = openIncident(makeSignal(), new Date('2026-11-21T10:00:30.000Z'));
    await store.create({ ...opened.incident, id: INCIDENT_ID }, opened.entries.map((e) => ({ ...e, incidentId: INCIDENT_ID })));
    await store.linkChannel(FIXTURE_CHANNEL, INCIDENT_ID);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await slack.close();
  });

  it('reads the fixtures as the SDKs publish them', () => {
    const command = Object.fromEntries(new URLSearchParams(fixtureBody(SLASH_COMMAND)));
    expect(command).toMatchObject({ command: '/hello-bolt-js', text: '', user_id: FIXTURE_USER, channel_id: FIXTURE_CHANNEL, trigger_id: '111.222.xxx' });
    // The form body and the JSON fixture are the same interaction.
    const payload = interactionPayload(fixtureBody(BLOCK_ACTIONS));
    expect(payload).toEqual(JSON.parse(readFileSync(BLOCK_ACTIONS_JSON, 'utf8')));
    expect(payload).toMatchObject({ type: 'block_actions', user: { id: FIXTURE_USER }, channel: { id: FIXTURE_CHANNEL }, actions: [{ action_id: 'a', value: 'click_me_123', type: 'button' }] });
  });

  it('(a) answers the slash command, rewritten to /incident help, with the help text in the acknowledgement', async () => {
    // The fixture's command is bolt-js's sample app command (`/hello-bolt-js`); Firebreak's app defines
    // `/incident`. Only `command` and `text` change; the rest of the body is sent as published.
    const body = withFormFields(fixtureBody(SLASH_COMMAND), { command: '/incident', text: 'help' });
    expect(body).toContain('command=%2Fincident&text=help&');

    const response = await entryPoint(FIXTURE_USER)(slackEvent('/slack/commands', body));

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(JSON.parse(String(response.body))).toEqual({ response_type: 'ephemeral', text: helpText() });
    // The answer is the acknowledgement: no Web API call besides the app's auth.test.
    expect(webApiWork()).toEqual([]);
    expect(await store.timeline(INCIDENT_ID)).toHaveLength(1);
  });

  it('(b) answers the untouched slash command (an unknown /hello-bolt-js) as Bolt does: 404 with an empty body, and keeps serving', async () => {
    const info = jest.spyOn(logger, 'info');
    const error = jest.spyOn(logger, 'error');
    const handle = entryPoint(FIXTURE_USER);
    const started = Date.now();

    const response: APIGatewayProxyStructuredResultV2 = await handle(slackEvent('/slack/commands', fixtureBody(SLASH_COMMAND)));

    // No listener acknowledged it: AwsLambdaReceiver answers 404 at once (it does not wait out its
    // 3-second no-ack warning) and logs that no handler matched; nothing is an error.
    expect(response).toEqual({ statusCode: 404, body: '' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(info).toHaveBeenCalledWith(expect.stringContaining('No request handler matched the request: /slack/commands'));
    expect(error).not.toHaveBeenCalled();
    expect(webApiWork()).toEqual([]);
    expect(starter.starts()).toEqual([]);
    expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'open', version: 1 });

    // The process stays healthy: the same handler answers the next request.
    const next = await handle(slackEvent('/slack/commands', withFormFields(fixtureBody(SLASH_COMMAND), { command: '/incident', text: 'help' })));
    expect(next.statusCode).toBe(200);
    expect(JSON.parse(String(next.body))).toMatchObject({ text: helpText() });
    expect(slack.calls().filter((c) => c.method === 'auth.test')).toHaveLength(1);
  });

  it('(c) runs the resolve operation for the block_actions body rewritten to the Resolve button of a linked incident', async () => {
    const published = interactionPayload(fixtureBody(BLOCK_ACTIONS));
    const [action] = published['actions'] as Record<string, unknown>[];
    // bolt-python's scenario button is `action_id: 'a'`, `value: 'click_me_123'`; Firebreak matches its buttons
    // by action_id and carries the incident id in `value`. Only those two change.
    expect(action).toMatchObject({ action_id: 'a', value: 'click_me_123' });
    const payload = { ...published, actions: [{ ...action, action_id: ACTION_IDS.resolve, value: INCIDENT_ID }] };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;

    // The fixture's user, W111, is a configured responder.
    const response = await entryPoint(FIXTURE_USER)(slackEvent('/slack/interactions', body));

    expect(response).toEqual({ statusCode: 200, body: '' });
    expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'resolved', resolution: { by: FIXTURE_USER, via: 'slack' } });
    expect((await store.timeline(INCIDENT_ID)).at(-1)).toMatchObject({ kind: 'incident.resolved', actor: FIXTURE_USER, id: 'slack:111.222.valid:incident.resolved' });
    expect(starter.starts('resolve')).toEqual([expect.objectContaining({ name: `resolve-${INCIDENT_ID}`, origin: { incidentId: INCIDENT_ID, via: 'slack', by: FIXTURE_USER } })]);
    // The person is answered with chat.postEphemeral in the button's channel. The simulated workspace has no
    // channel C111 (the simulator makes its own ids), so Slack's answer is channel_not_found: logged only,
    // and the HTTP answer stays 200 because the resolution took effect.
    expect(webApiWork()).toEqual([
      expect.objectContaining({
        method: 'chat.postEphemeral',
        auth: 'bearer',
        params: expect.objectContaining({ channel: FIXTURE_CHANNEL, user: FIXTURE_USER, text: expect.stringContaining(`<@${FIXTURE_USER}> resolved *${INCIDENT_ID}*`) }),
        ok: false,
        error: 'channel_not_found',
      }),
    ]);
  });

  it('(c) refuses the same Resolve button, and records the refusal, when the fixture’s user is not a responder', async () => {
    const published = interactionPayload(fixtureBody(BLOCK_ACTIONS));
    const [action] = published['actions'] as Record<string, unknown>[];
    const body = `payload=${encodeURIComponent(JSON.stringify({ ...published, actions: [{ ...action, action_id: ACTION_IDS.resolve, value: INCIDENT_ID }] }))}`;

    const response = await entryPoint('U0SOMEONEELSE')(slackEvent('/slack/interactions', body));

    expect(response.statusCode).toBe(200);
    expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'open', version: 1 });
    expect((await store.timeline(INCIDENT_ID)).at(-1)).toMatchObject({ kind: 'command.refused', actor: FIXTURE_USER, data: expect.objectContaining({ operation: 'resolve' }) });
    expect(starter.starts()).toEqual([]);
    expect(webApiWork()).toEqual([expect.objectContaining({ method: 'chat.postEphemeral', params: expect.objectContaining({ text: expect.stringContaining('You may not use the Resolve button') }) })]);
  });

  it('(c) starts the rollback workflow once for the block_actions body rewritten to Approve rollback, even when sent twice', async () => {
    const published = interactionPayload(fixtureBody(BLOCK_ACTIONS));
    const [action] = published['actions'] as Record<string, unknown>[];
    // Only `action_id` and `value` change, as for Resolve.
    const body = `payload=${encodeURIComponent(JSON.stringify({ ...published, actions: [{ ...action, action_id: ACTION_IDS.approveRollback, value: INCIDENT_ID }] }))}`;
    const handle = entryPoint(FIXTURE_USER);

    for (let attempt = 0; attempt < 2; attempt += 1) expect(await handle(slackEvent('/slack/interactions', body))).toEqual({ statusCode: 200, body: '' });

    expect(starter.starts('rollback')).toEqual([
      { workflow: 'rollback', name: `rollback-${INCIDENT_ID}-111_222_valid`, origin: { incidentId: INCIDENT_ID, via: 'slack', by: FIXTURE_USER, requestId: '111.222.valid' }, alreadyStarted: false },
      expect.objectContaining({ name: `rollback-${INCIDENT_ID}-111_222_valid`, alreadyStarted: true }),
    ]);
    expect((await store.timeline(INCIDENT_ID)).filter((e) => e.kind === 'rollback.approved')).toEqual([expect.objectContaining({ actor: FIXTURE_USER, id: 'slack:111.222.valid:rollback.approved' })]);
    expect(control.updates).toEqual([]);
  });

  it('(c) runs the block_actions body rewritten to Undo Kill switch like /incident undo kill_switch', async () => {
    const handle = entryPoint(FIXTURE_USER);
    // The kill switch, turned on with the slash command fixture rewritten to `/incident contain kill_switch`.
    const contained = await handle(slackEvent('/slack/commands', withFormFields(fixtureBody(SLASH_COMMAND), { command: '/incident', text: 'contain kill_switch' })));
    expect(JSON.parse(String(contained.body))).toMatchObject({ response_type: 'in_channel', text: expect.stringContaining('kill switch off → on') });

    const published = interactionPayload(fixtureBody(BLOCK_ACTIONS));
    const [action] = published['actions'] as Record<string, unknown>[];
    const body = `payload=${encodeURIComponent(JSON.stringify({ ...published, actions: [{ ...action, action_id: ACTION_IDS.undoKillSwitch, value: INCIDENT_ID }] }))}`;
    expect(await handle(slackEvent('/slack/interactions', body))).toEqual({ statusCode: 200, body: '' });

    expect(await control.get('support-llm')).toMatchObject({ killSwitch: false, revision: 3, updatedBy: FIXTURE_USER });
    expect(webApiWork()).toEqual([expect.objectContaining({ method: 'chat.postEphemeral', params: expect.objectContaining({ user: FIXTURE_USER, text: expect.stringContaining('kill switch on → off') }) })]);
  });

  it('(c) leaves the untouched block_actions body (action_id "a") to Bolt: 404, nothing changes', async () => {
    const response = await entryPoint(FIXTURE_USER)(slackEvent('/slack/interactions', fixtureBody(BLOCK_ACTIONS)));

    expect(response).toEqual({ statusCode: 404, body: '' });
    expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'open', version: 1 });
    expect(webApiWork()).toEqual([]);
  });

  describe('(d) verification', () => {
    const resolveBody = (): string => {
      const published = interactionPayload(fixtureBody(BLOCK_ACTIONS));
      const [action] = published['actions'] as Record<string, unknown>[];
      return `payload=${encodeURIComponent(JSON.stringify({ ...published, actions: [{ ...action, action_id: ACTION_IDS.resolve, value: INCIDENT_ID }] }))}`;
    };
    // The published bodies, plus the Resolve rewrite: were verification skipped, that one would resolve the incident.
    const cases: readonly (readonly [string, string, () => string])[] = [
      ['the bolt-js slash command', '/slack/commands', () => fixtureBody(SLASH_COMMAND)],
      ['the bolt-python block_actions', '/slack/interactions', () => fixtureBody(BLOCK_ACTIONS)],
      ['the block_actions rewritten to Resolve', '/slack/interactions', resolveBody],
    ];

    it.each(cases)('answers 401 to %s signed correctly but more than 5 minutes ago', async (_name, rawPath, body) => {
      const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
      const response = await entryPoint(FIXTURE_USER)(slackEvent(rawPath, body(), { timestamp: sixMinutesAgo }));

      expect(response.statusCode).toBe(401);
      expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'open', version: 1 });
      expect(starter.starts()).toEqual([]);
      expect(webApiWork()).toEqual([]);
    });

    it.each(cases)('answers 401 to %s with a bad signature', async (_name, rawPath, body) => {
      const response = await entryPoint(FIXTURE_USER)(slackEvent(rawPath, body(), { secret: 'not-the-signing-secret' }));

      expect(response.statusCode).toBe(401);
      expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'open', version: 1 });
      expect(starter.starts()).toEqual([]);
      expect(webApiWork()).toEqual([]);
    });
  });
});
