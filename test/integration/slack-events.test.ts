import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WebClient } from '@slack/web-api';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logger } from '../../lambdas/adapters/logger';
import { helpText } from '../../lambdas/core/commands/operations';
import { parseResponders } from '../../lambdas/core/commands/responders';
import { openIncident } from '../../lambdas/core/incident-lifecycle';
import { createSlackEventsHandler, handler as environmentHandler, type SlackEventsConfig, type SlackEventsHandler } from '../../lambdas/handlers/slack-events';
import { ACTION_IDS } from '../../lambdas/slack/blocks';
import { startSlackSimulator, type SlackSimulator } from '../../local/simulators/slack-simulator';
import { controlState, InMemoryIncidentStore, RecordingModelControlPlane, RecordingWorkflowStarter } from '../support/in-memory-ports';
import { makeSignal, ManualClock } from '../support/signals';

const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TOKEN = 'xoxb-firebreak-test';
const INCIDENT_ID = 'inc-20261121-0a1b2c3d';
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'slack');
/** The channel id the fixture bodies carry; replaced by the simulator's channel id before signing. */
const FIXTURE_CHANNEL = 'C0INCIDENT1';

/** A fixture body (bolt-js / bolt-python format) with the incident channel filled in. */
function fixtureBody(file: string, channelId: string): string {
  return fs.readFileSync(path.join(FIXTURES, file), 'utf8').trim().split(FIXTURE_CHANNEL).join(channelId);
}

/** The `/incident` fixture body with another text, person and trigger id. */
function commandBody(channelId: string, text: string, userId: string, triggerId: string): string {
  const fields = new URLSearchParams(fixtureBody('incident-ack.command.body.txt', channelId));
  fields.set('text', text);
  fields.set('user_id', userId);
  fields.set('trigger_id', triggerId);
  return fields.toString();
}

/** The Resolve button fixture as another of the summary's buttons, pressed by `userId`. */
function buttonBody(channelId: string, actionId: string, userId: string, triggerId: string): string {
  const payload = JSON.parse(fixtureBody('incident-resolve.block_actions.json', channelId)) as Record<string, unknown> & { user: Record<string, unknown>; actions: Record<string, unknown>[] };
  const pressed = { ...payload, user: { ...payload.user, id: userId }, trigger_id: triggerId, actions: payload.actions.map((a) => ({ ...a, action_id: actionId })) };
  return `payload=${encodeURIComponent(JSON.stringify(pressed))}`;
}

/** Slack's request signature: `v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{raw body}`). */
function sign(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** A Lambda Function URL event (payload format 2.0), as AWS and the embedded server build it. */
function functionUrlEvent(
  rawPath: string,
  body: string,
  headers: Record<string, string>,
  options: { method?: string; base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)', ...headers },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'slack-events',
      domainName: 'slack-events.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'slack-events',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Slackbot 1.0' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '21/Nov/2026:10:05:00 +0000',
      timeEpoch: Date.now(),
    },
    body: options.base64 === true ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: options.base64 === true,
  };
}

function signedEvent(rawPath: string, body: string, options: { timestamp?: number; secret?: string; base64?: boolean; contentType?: string } = {}): APIGatewayProxyEventV2 {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return functionUrlEvent(
    rawPath,
    body,
    {
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': sign(body, timestamp, options.secret),
      ...(options.contentType === undefined ? {} : { 'content-type': options.contentType }),
    },
    { base64: options.base64 },
  );
}

describe('Slack entry point (lambdas/handlers/slack-events.ts)', () => {
  let slack: SlackSimulator;
  let store: InMemoryIncidentStore;
  let starter: RecordingWorkflowStarter;
  let control: RecordingModelControlPlane;
  let config: SlackEventsConfig;
  let handle: SlackEventsHandler;
  let channelId: string;
  let setupCalls: number;
  /** Web API calls made by the handler (not by the test's own set-up). */
  const calls = () => slack.calls().slice(setupCalls);

  beforeAll(() => {
    logger.setLogLevel('CRITICAL');
  });

  beforeEach(async () => {
    slack = await startSlackSimulator({
      token: TOKEN,
      users: [
        { id: 'W111', email: 'owner@example.com', name: 'primary-owner' },
        { id: 'U0RESPOND1', email: 'responder@example.com', name: 'responder' },
      ],
    });
    // The incident channel, as the channel adapter would have opened it.
    const web = new WebClient(TOKEN, { slackApiUrl: slack.url });
    const created = await web.conversations.create({ name: 'inc-20261121-adversarial-refusal-rate-0a1b2c3d' });
    channelId = created.channel!.id!;
    await web.conversations.invite({ channel: channelId, users: 'W111,U0RESPOND1' });
    setupCalls = slack.calls().length;

    store = new InMemoryIncidentStore();
    starter = new RecordingWorkflowStarter();
    const opened = openIncident(makeSignal(), new Date('2026-11-21T10:00:30.000Z'));
    await store.create({ ...opened.incident, id: INCIDENT_ID }, opened.entries.map((e) => ({ ...e, incidentId: INCIDENT_ID })));
    await store.linkChannel(channelId, INCIDENT_ID);
    const clock = new ManualClock(new Date('2026-11-21T10:05:00.000Z'));
    control = new RecordingModelControlPlane(clock);
    await control.seed(controlState());
    config = {
      signingSecret: SIGNING_SECRET,
      token: TOKEN,
      slackApiUrl: slack.url,
      store,
      starter,
      clock,
      responders: parseResponders('U0RESPOND1'),
      control,
    };
    handle = createSlackEventsHandler(config);
  });

  afterEach(async () => {
    await slack.close();
  });

  it('processes a signed /incident ack and answers in the acknowledgement within the request', async () => {
    const response = await handle(signedEvent('/slack/commands', fixtureBody('incident-ack.command.body.txt', channelId)));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toEqual({
      response_type: 'in_channel',
      text: `<@W111> acknowledged *${INCIDENT_ID}* (SEV2 · \`adversarial-refusal-rate\` on \`support-bot\` / \`support-llm\`).`,
    });
    expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'acknowledged' });
    expect((await store.timeline(INCIDENT_ID)).at(-1)).toMatchObject({ kind: 'incident.acknowledged', actor: 'W111', id: 'slack:111.222.ack:incident.acknowledged' });
    expect(starter.starts('acknowledge')).toEqual([expect.objectContaining({ origin: { incidentId: INCIDENT_ID, via: 'slack', by: 'W111' } })]);
    // Only the Web API at SLACK_API_URL is called: auth.test once, before the first request.
    expect(calls().map((c) => c.method)).toEqual(['auth.test']);
  });

  it('processes a signed Resolve button and answers the person with chat.postEphemeral', async () => {
    const response = await handle(signedEvent('/slack/interactions', fixtureBody('incident-resolve.block_actions.body.txt', channelId)));
    expect(response.statusCode).toBe(200);
    expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'resolved', resolution: { by: 'U0RESPOND1', via: 'slack' } });
    expect(starter.starts('resolve')).toEqual([expect.objectContaining({ name: `resolve-${INCIDENT_ID}`, origin: { incidentId: INCIDENT_ID, via: 'slack', by: 'U0RESPOND1' } })]);
    const answer = calls().find((c) => c.method === 'chat.postEphemeral');
    expect(answer).toMatchObject({ ok: true, auth: 'bearer', params: { channel: channelId, user: 'U0RESPOND1', text: expect.stringContaining(`<@U0RESPOND1> resolved *${INCIDENT_ID}*`) } });
    expect(slack.messages(channelId)).toEqual([expect.objectContaining({ ephemeral: true, visibleTo: 'U0RESPOND1' })]);
  });

  it('processes a base64-encoded body whose content type carries a charset', async () => {
    const body = fixtureBody('incident-ack.command.body.txt', channelId).replace('text=ack', 'text=note+caf%C3%A9+reopened');
    const response = await handle(signedEvent('/slack/commands', body, { base64: true, contentType: 'application/x-www-form-urlencoded; charset=utf-8' }));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toMatchObject({ response_type: 'ephemeral', text: `Added your note to the timeline of *${INCIDENT_ID}*.` });
    expect((await store.timeline(INCIDENT_ID)).at(-1)).toMatchObject({ kind: 'note', message: 'café reopened' });
  });

  it('answers 401 to a bad signature and changes nothing', async () => {
    const body = fixtureBody('incident-ack.command.body.txt', channelId);
    const wrongSecret = await handle(signedEvent('/slack/commands', body, { secret: 'not-the-signing-secret' }));
    const tampered = signedEvent('/slack/interactions', fixtureBody('incident-resolve.block_actions.body.txt', channelId));
    const retargeted = await handle({ ...tampered, body: String(tampered.body).replace('U0RESPOND1', 'W111') });
    const unsigned = await handle(functionUrlEvent('/slack/commands', body, {}));
    for (const response of [wrongSecret, retargeted, unsigned]) expect(response.statusCode).toBe(401);
    expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'open', version: 1 });
    expect(starter.starts()).toEqual([]);
    expect(calls().filter((c) => c.method !== 'auth.test')).toEqual([]);
  });

  it('answers 401 to a correctly signed request whose timestamp is older than 5 minutes', async () => {
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
    const response = await handle(signedEvent('/slack/commands', fixtureBody('incident-ack.command.body.txt', channelId), { timestamp: sixMinutesAgo }));
    expect(response.statusCode).toBe(401);
    expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'open' });
  });

  it('answers 405 to anything but POST', async () => {
    const response: APIGatewayProxyStructuredResultV2 = await handle(functionUrlEvent('/slack/commands', '', {}, { method: 'GET' }));
    expect(response.statusCode).toBe(405);
  });

  it('answers 503 while auth.test fails, and recovers on the next request', async () => {
    slack.injectFaults([{ status: 500 }, { status: 500 }], { method: 'auth.test' });
    const body = fixtureBody('incident-ack.command.body.txt', channelId);
    expect((await handle(signedEvent('/slack/commands', body))).statusCode).toBe(503);
    const retried = await handle(signedEvent('/slack/commands', body));
    expect(retried.statusCode).toBe(200);
    expect(await store.get(INCIDENT_ID)).toMatchObject({ status: 'acknowledged' });
  });

  it('runs /incident contain within the request and answers in the channel with before → after', async () => {
    const response = await handle(signedEvent('/slack/commands', commandBody(channelId, 'contain kill_switch', 'U0RESPOND1', '111.222.contain')));
    expect(response.statusCode).toBe(200);
    const reply = JSON.parse(String(response.body)) as { response_type: string; text: string };
    expect(reply.response_type).toBe('in_channel');
    expect(reply.text).toContain(`<@U0RESPOND1> turned the kill switch on for model \`support-llm\` (*${INCIDENT_ID}*): kill switch off → on (serving \`v3\`, revision 1 → 2)`);
    expect(await control.get('support-llm')).toMatchObject({ killSwitch: true, updatedBy: 'U0RESPOND1' });
    expect((await store.get(INCIDENT_ID))?.actions).toEqual([expect.objectContaining({ action: 'kill_switch', by: 'U0RESPOND1' })]);
    expect(calls().map((c) => c.method)).toEqual(['auth.test']);
  });

  it('undoes with the Undo button like /incident undo, answering with chat.postEphemeral', async () => {
    await handle(signedEvent('/slack/commands', commandBody(channelId, 'contain kill_switch', 'U0RESPOND1', '111.222.contain')));
    const response = await handle(signedEvent('/slack/interactions', buttonBody(channelId, ACTION_IDS.undoKillSwitch, 'U0RESPOND1', '111.333.undo')));
    expect(response.statusCode).toBe(200);
    expect(await control.get('support-llm')).toMatchObject({ killSwitch: false, revision: 3 });
    expect((await store.get(INCIDENT_ID))?.actions).toEqual([expect.objectContaining({ action: 'kill_switch', undoneBy: 'U0RESPOND1' })]);
    const answer = calls().find((c) => c.method === 'chat.postEphemeral');
    expect(answer).toMatchObject({ ok: true, params: { channel: channelId, user: 'U0RESPOND1', text: expect.stringContaining('undid Kill switch for model `support-llm`') } });
    expect(String((answer?.params as { text?: unknown } | undefined)?.text)).toContain('kill switch on → off');

    // The command explains that there is nothing left to undo.
    const again = await handle(signedEvent('/slack/commands', commandBody(channelId, 'undo kill_switch', 'U0RESPOND1', '111.222.undo-again')));
    expect(JSON.parse(String(again.body))).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('Nothing was undone: Kill switch was not taken') });
  });

  it('refuses /incident undo and the Undo button to someone who is not a responder, and records it', async () => {
    await handle(signedEvent('/slack/commands', commandBody(channelId, 'contain kill_switch', 'U0RESPOND1', '111.222.contain')));
    const command = await handle(signedEvent('/slack/commands', commandBody(channelId, 'undo kill_switch', 'W111', '111.222.refused')));
    expect(JSON.parse(String(command.body))).toEqual({ response_type: 'ephemeral', text: expect.stringContaining(`You may not use \`/incident undo\` on *${INCIDENT_ID}*`) });
    await handle(signedEvent('/slack/interactions', buttonBody(channelId, ACTION_IDS.undoKillSwitch, 'W111', '111.333.refused')));
    const refusals = (await store.timeline(INCIDENT_ID)).filter((e) => e.kind === 'command.refused');
    expect(refusals).toEqual([
      expect.objectContaining({ actor: 'W111', id: 'slack:111.222.refused:command.refused', data: expect.objectContaining({ operation: 'undo', action: 'kill_switch' }) }),
      expect.objectContaining({ actor: 'W111', id: 'slack:111.333.refused:command.refused', data: expect.objectContaining({ operation: 'undo', action: 'kill_switch' }) }),
    ]);
    expect(await control.get('support-llm')).toMatchObject({ killSwitch: true });
  });

  it('approves a rollback with /incident rollback and with the Approve rollback button, starting the workflow once per request', async () => {
    const command = signedEvent('/slack/commands', commandBody(channelId, 'rollback v2', 'U0RESPOND1', '111.222.rollback'));
    const first = await handle(command);
    expect(JSON.parse(String(first.body))).toEqual({
      response_type: 'in_channel',
      text: `<@U0RESPOND1> approved the rollback of model \`support-llm\` to version \`v2\` for *${INCIDENT_ID}*. The rollback workflow is started; it posts the result in the incident thread.`,
    });
    // Slack retries the same request: no second execution, no second entry.
    await handle(command);
    await handle(signedEvent('/slack/interactions', buttonBody(channelId, ACTION_IDS.approveRollback, 'U0RESPOND1', '111.333.approve')));

    expect(starter.starts('rollback')).toEqual([
      { workflow: 'rollback', name: `rollback-${INCIDENT_ID}-111_222_rollback`, origin: { incidentId: INCIDENT_ID, via: 'slack', by: 'U0RESPOND1', version: 'v2', requestId: '111.222.rollback' }, alreadyStarted: false },
      expect.objectContaining({ name: `rollback-${INCIDENT_ID}-111_222_rollback`, alreadyStarted: true }),
      { workflow: 'rollback', name: `rollback-${INCIDENT_ID}-111_333_approve`, origin: { incidentId: INCIDENT_ID, via: 'slack', by: 'U0RESPOND1', requestId: '111.333.approve' }, alreadyStarted: false },
    ]);
    expect((await store.timeline(INCIDENT_ID)).filter((e) => e.kind === 'rollback.approved').map((e) => e.id)).toEqual(['slack:111.222.rollback:rollback.approved', 'slack:111.333.approve:rollback.approved']);
    // The workflow rolls back; the request only approved it.
    expect(control.updates).toEqual([]);
  });

  it('answers /incident contain without a model control plane by saying so, and records it', async () => {
    const withoutControl: SlackEventsConfig = { signingSecret: SIGNING_SECRET, token: TOKEN, slackApiUrl: slack.url, store, starter, clock: config.clock, responders: config.responders };
    const response = await createSlackEventsHandler(withoutControl)(signedEvent('/slack/commands', commandBody(channelId, 'contain kill_switch', 'U0RESPOND1', '111.222.nocontrol')));
    expect(JSON.parse(String(response.body))).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('no model control plane is configured') });
    expect((await store.timeline(INCIDENT_ID)).at(-1)).toMatchObject({ kind: 'containment.unavailable', actor: 'U0RESPOND1' });
    expect(control.updates).toEqual([]);
  });

  it('keeps serving from the environment when the configured model control plane cannot be built', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, {
        TABLE_NAME: 'firebreak-test',
        AWS_REGION: 'eu-west-1',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_BOT_TOKEN: TOKEN,
        SLACK_API_URL: slack.url,
        FIREBREAK_CONTROL_PLANE: 'no-such-control-plane',
      });
      delete process.env.FIREBREAK_VENDOR_SECRET_ARN;
      const response = await environmentHandler(signedEvent('/slack/commands', commandBody(channelId, 'help', 'W111', '111.222.help')));
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(String(response.body))).toEqual({ response_type: 'ephemeral', text: helpText() });
    } finally {
      process.env = saved;
    }
  });

  it('answers 500 naming what is missing when the environment lacks the Slack credentials', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { TABLE_NAME: 'firebreak-test', AWS_REGION: 'eu-west-1' });
      for (const name of ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'FIREBREAK_VENDOR_SECRET_ARN']) delete process.env[name];
      const response = await environmentHandler(signedEvent('/slack/commands', fixtureBody('incident-ack.command.body.txt', channelId)));
      expect(response.statusCode).toBe(500);
      expect(JSON.parse(String(response.body))).toMatchObject({ error: 'ConfigurationError', message: expect.stringContaining('SLACK_SIGNING_SECRET is required') });
    } finally {
      process.env = saved;
    }
  });
});
