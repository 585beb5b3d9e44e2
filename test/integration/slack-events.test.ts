import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WebClient } from '@slack/web-api';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logger } from '../../lambdas/adapters/logger';
import { parseResponders } from '../../lambdas/core/commands/responders';
import { openIncident } from '../../lambdas/core/incident-lifecycle';
import { createSlackEventsHandler, handler as environmentHandler, type SlackEventsHandler } from '../../lambdas/handlers/slack-events';
import { startSlackSimulator, type SlackSimulator } from '../../local/simulators/slack-simulator';
import { InMemoryIncidentStore, RecordingWorkflowStarter } from '../support/in-memory-ports';
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
    handle = createSlackEventsHandler({
      signingSecret: SIGNING_SECRET,
      token: TOKEN,
      slackApiUrl: slack.url,
      store,
      starter,
      clock: new ManualClock(new Date('2026-11-21T10:05:00.000Z')),
      responders: parseResponders('U0RESPOND1'),
    });
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
