import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { logger } from '../../lambdas/adapters/logger';
import { parseResponders } from '../../lambdas/core/commands/responders';
import { openIncident } from '../../lambdas/core/incident-lifecycle';
import { createSlackEventsHandler, type SlackEventsHandler } from '../../lambdas/handlers/slack-events';
import { startSlackSimulator, type SlackSimulator } from '../../local/simulators/slack-simulator';
import { controlState, InMemoryIncidentStore, RecordingModelControlPlane, RecordingWorkflowStarter } from '../support/in-memory-ports';
import { makeSignal, ManualClock } from '../support/signals';
import { slackSignedHeaders } from '../support/signing';

/*
 * FIREBREAK_RESPONDERS naming a Slack user group: the restricted `/incident
 * sev` is allowed for the group's members and refused for anyone else, the
 * members coming from `usergroups.users.list` on the Slack simulator (the
 * entry point's default lookup through the Web API, no `groupMembers` given).
 */

const SIGNING_SECRET = 'responder-groups-signing-secret';
const TOKEN = 'xoxb-responder-groups';
const INCIDENT_ID = 'inc-20261121-0a1b2c3d';
const CHANNEL = 'C0INCIDENT1';
const GROUP = 'S0RESPONDERS';
const GROUPIE = 'U0GROUPIE';
const OUTSIDER = 'U0OUTSIDER';
/** The value of FIREBREAK_RESPONDERS in these tests: a user group, no user ids. */
const FIREBREAK_RESPONDERS = GROUP;

/** A signed `/incident` slash command from `userId` in the incident channel, as a payload-2.0 event. */
function incidentCommand(userId: string, text: string, triggerId: string): APIGatewayProxyEventV2 {
  const body = new URLSearchParams({
    token: 'fixed-value',
    team_id: 'T111',
    team_domain: 'domain-value',
    channel_id: CHANNEL,
    channel_name: 'inc-20261121-adversarial-refusal-rate-0a1b2c3d',
    user_id: userId,
    user_name: userId.toLowerCase(),
    command: '/incident',
    text,
    api_app_id: 'A111',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.com/commands/T111/111/xxx',
    trigger_id: triggerId,
  }).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/slack/commands',
    rawQueryString: '',
    headers: slackSignedHeaders(body, SIGNING_SECRET),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'slack-events',
      domainName: 'slack-events.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'slack-events',
      http: { method: 'POST', path: '/slack/commands', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Slackbot 1.0' },
      requestId: `req-${triggerId}`,
      routeKey: '$default',
      stage: '$default',
      time: '21/Nov/2026:10:05:00 +0000',
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

describe('FIREBREAK_RESPONDERS as a Slack user group', () => {
  let slack: SlackSimulator;
  let store: InMemoryIncidentStore;
  let starter: RecordingWorkflowStarter;
  let control: RecordingModelControlPlane;

  const entryPoint = (responders = FIREBREAK_RESPONDERS): SlackEventsHandler =>
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
  const groupLookups = () => slack.calls().filter((c) => c.method === 'usergroups.users.list');

  beforeAll(() => {
    logger.setLogLevel('CRITICAL');
  });

  beforeEach(async () => {
    slack = await startSlackSimulator({
      token: TOKEN,
      userGroups: [{ id: GROUP, users: ['U0OTHERMEMBER', GROUPIE] }],
    });
    store = new InMemoryIncidentStore();
    starter = new RecordingWorkflowStarter();
    control = new RecordingModelControlPlane();
    await control.seed(controlState());
    const opened = openIncident(makeSignal(), new Date('2026-11-21T10:00:30.000Z'));
    await store.create({ ...opened.incident, id: INCIDENT_ID }, opened.entries.map((e) => ({ ...e, incidentId: INCIDENT_ID })));
    await store.linkChannel(CHANNEL, INCIDENT_ID);
  });

  afterEach(async () => {
    await slack.close();
  });

  it('parses the setting as a group and no user ids', () => {
    expect(parseResponders(FIREBREAK_RESPONDERS)).toEqual({ users: [], groups: [GROUP] });
  });

  it('allows /incident sev 1 from a member of the group', async () => {
    const response = await entryPoint()(incidentCommand(GROUPIE, 'sev 1', '111.222.groupie'));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toEqual({
      response_type: 'in_channel',
      text: `<@${GROUPIE}> changed the severity of *${INCIDENT_ID}* from SEV2 to SEV1.`,
    });
    expect(await store.get(INCIDENT_ID)).toMatchObject({ severity: 'sev1', version: 2 });
    expect((await store.timeline(INCIDENT_ID)).at(-1)).toMatchObject({ kind: 'severity.changed', actor: GROUPIE, data: expect.objectContaining({ from: 'sev2', to: 'sev1' }) });
    expect(groupLookups()).toEqual([expect.objectContaining({ params: { usergroup: GROUP }, auth: 'bearer', ok: true })]);
  });

  it('refuses /incident sev 1 from someone outside the group, ephemerally, and records the refusal', async () => {
    const response = await entryPoint()(incidentCommand(OUTSIDER, 'sev 1', '111.222.outsider'));

    expect(response.statusCode).toBe(200);
    const reply = JSON.parse(String(response.body)) as { response_type: string; text: string };
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toContain(`You may not use \`/incident sev\` on *${INCIDENT_ID}*`);
    expect(reply.text).toContain(`members of <!subteam^${GROUP}>`);
    expect(await store.get(INCIDENT_ID)).toMatchObject({ severity: 'sev2', version: 1 });
    expect((await store.timeline(INCIDENT_ID)).at(-1)).toMatchObject({
      kind: 'command.refused',
      actor: OUTSIDER,
      id: 'slack:111.222.outsider:command.refused',
      data: expect.objectContaining({ operation: 'sev' }),
    });
    expect(groupLookups()).toEqual([expect.objectContaining({ params: { usergroup: GROUP }, ok: true })]);
  });

  it('lets a member of the group contain, undo and approve a rollback, and refuses them to someone outside it', async () => {
    const handle = entryPoint();
    const outsider = await handle(incidentCommand(OUTSIDER, 'contain kill_switch', '111.222.outsider-contain'));
    expect(JSON.parse(String(outsider.body))).toEqual({ response_type: 'ephemeral', text: expect.stringContaining(`You may not use \`/incident contain\` on *${INCIDENT_ID}*`) });
    expect(await control.get('support-llm')).toMatchObject({ killSwitch: false, revision: 1 });

    const contained = await handle(incidentCommand(GROUPIE, 'contain kill_switch', '111.222.groupie-contain'));
    expect(JSON.parse(String(contained.body))).toMatchObject({ response_type: 'in_channel', text: expect.stringContaining('kill switch off → on') });
    const refusedUndo = await handle(incidentCommand(OUTSIDER, 'undo kill_switch', '111.222.outsider-undo'));
    expect(JSON.parse(String(refusedUndo.body))).toMatchObject({ response_type: 'ephemeral' });
    expect(await control.get('support-llm')).toMatchObject({ killSwitch: true });
    const undone = await handle(incidentCommand(GROUPIE, 'undo kill_switch', '111.222.groupie-undo'));
    expect(JSON.parse(String(undone.body))).toMatchObject({ response_type: 'in_channel', text: expect.stringContaining('kill switch on → off') });

    await handle(incidentCommand(OUTSIDER, 'rollback', '111.222.outsider-rollback'));
    await handle(incidentCommand(GROUPIE, 'rollback', '111.222.groupie-rollback'));
    expect(starter.starts('rollback')).toEqual([expect.objectContaining({ origin: expect.objectContaining({ by: GROUPIE, requestId: '111.222.groupie-rollback' }), alreadyStarted: false })]);
    // Same clock time: the timeline orders these by entry id.
    const refusals = (await store.timeline(INCIDENT_ID)).filter((e) => e.kind === 'command.refused').map((e) => [e.actor, e.data?.operation]);
    expect(refusals).toHaveLength(3);
    expect(refusals).toEqual(expect.arrayContaining([
      [OUTSIDER, 'contain'],
      [OUTSIDER, 'undo'],
      [OUTSIDER, 'rollback'],
    ]));
  });

  it('looks the members up once for both requests of one entry point (the list is cached for a minute)', async () => {
    const handle = entryPoint();
    const refused = await handle(incidentCommand(OUTSIDER, 'sev 1', '111.222.first'));
    const allowed = await handle(incidentCommand(GROUPIE, 'sev 1', '111.222.second'));

    expect(JSON.parse(String(refused.body))).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.parse(String(allowed.body))).toMatchObject({ response_type: 'in_channel' });
    expect(groupLookups()).toHaveLength(1);
  });

  it('neither allows nor refuses when the group does not exist: the person is told the command did not run', async () => {
    const response = await entryPoint('S0NOSUCHGROUP')(incidentCommand(GROUPIE, 'sev 1', '111.222.nosuch'));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toEqual({
      response_type: 'ephemeral',
      text: expect.stringContaining('Firebreak could not run `/incident sev` (VendorRejectedError)'),
    });
    expect(await store.get(INCIDENT_ID)).toMatchObject({ severity: 'sev2', version: 1 });
    expect((await store.timeline(INCIDENT_ID)).map((e) => e.kind)).not.toContain('command.refused');
    expect(groupLookups()).toEqual([expect.objectContaining({ params: { usergroup: 'S0NOSUCHGROUP' }, ok: false, error: 'no_such_subteam' })]);
  });
});
