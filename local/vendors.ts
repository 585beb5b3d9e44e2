import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SIMULATOR_ROUTING_KEY, startPagerDutySimulator, type PagerDutySimulator } from './simulators/pagerduty-simulator';
import { startSlackSimulator, type SlackSimulator } from './simulators/slack-simulator';

/** The on-call engineer both simulators know: PagerDuty has them on call, Slack finds them by e-mail. */
export const SIMULATED_ON_CALL = { email: 'oncall@firebreak.example', slackUserId: 'U0ONCALL01', name: 'Simulated On-Call' } as const;

/** What the embedded target uses for PagerDuty and Slack: the real services or the built-in simulators. */
export interface VendorWiring {
  /** Environment the handlers read (set by the caller before handlers run). */
  readonly env: Record<string, string>;
  /** Start-up banner lines. */
  readonly services: { name: string; mode: string }[];
  /** `GET /simulators/...` routes, only for the simulators in use. */
  readonly routes: Record<string, () => unknown>;
  /** The simulators in use (tests inject faults through them). */
  readonly simulators: { readonly pagerduty?: PagerDutySimulator; readonly slack?: SlackSimulator };
  close(): Promise<void>;
}

/** Marks the variables Firebreak set for its own simulators, so a restart in the same process does not take them for real credentials. */
const SIMULATED_MARK = 'FIREBREAK_SIMULATED_VENDORS';

function real(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const simulated = (env[SIMULATED_MARK] ?? '').split(',');
  const value = env[name];
  return value === undefined || value === '' || simulated.includes(name) ? undefined : value;
}

/**
 * Decides per vendor: with real credentials in the environment
 * (`PAGERDUTY_ROUTING_KEY`, `SLACK_BOT_TOKEN`) the real service is used;
 * without, the built-in simulator is started on loopback and the handlers
 * are pointed at it. The PagerDuty simulator speaks HTTPS with a certificate
 * written to the data dir and trusted through `FIREBREAK_PAGERDUTY_CA_FILE`.
 */
export async function wireVendors(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<VendorWiring> {
  const out: Record<string, string> = {};
  const services: { name: string; mode: string }[] = [];
  const routes: Record<string, () => unknown> = {};
  const closers: (() => Promise<void>)[] = [];
  const simulated: string[] = [];
  const simulators: { pagerduty?: PagerDutySimulator; slack?: SlackSimulator } = {};
  const setSimulated = (name: string, value: string): void => {
    out[name] = value;
    simulated.push(name);
  };

  if (real(env, 'PAGERDUTY_ROUTING_KEY') !== undefined) {
    services.push({ name: 'PagerDuty', mode: `real: Events API v2 at ${real(env, 'PAGERDUTY_SERVER') ?? 'events.pagerduty.com'}` });
  } else {
    const pd = await startPagerDutySimulator({ roster: [{ escalationPolicyId: '*', email: SIMULATED_ON_CALL.email, name: SIMULATED_ON_CALL.name }] });
    closers.push(() => pd.close());
    simulators.pagerduty = pd;
    const caFile = path.join(dataDir, 'pagerduty-simulator-ca.pem');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(caFile, pd.ca);
    setSimulated('PAGERDUTY_ROUTING_KEY', SIMULATOR_ROUTING_KEY);
    setSimulated('PAGERDUTY_API_TOKEN', 'simulated-pagerduty-api-token');
    setSimulated('PAGERDUTY_SERVER', pd.server);
    setSimulated('PAGERDUTY_API_SERVER', pd.server);
    setSimulated('FIREBREAK_PAGERDUTY_CA_FILE', caFile);
    routes['/simulators/pagerduty'] = () => ({ calls: pd.calls() });
    services.push({ name: 'PagerDuty', mode: `simulated: Events API v2 + on-call REST on https://${pd.server} (GET /simulators/pagerduty)` });
  }
  if (real(env, 'PAGERDUTY_WEBHOOK_SECRET') === undefined) {
    setSimulated('PAGERDUTY_WEBHOOK_SECRET', persistentSecret(dataDir, 'pagerduty-webhook-secret'));
  }

  if (real(env, 'SLACK_BOT_TOKEN') !== undefined) {
    services.push({ name: 'Slack', mode: `real: Web API at ${real(env, 'SLACK_API_URL') ?? 'https://slack.com/api/'}` });
  } else {
    // The simulated workspace has the on-call engineer and every configured responder as members, and
    // every configured responder group (with the on-call engineer in it).
    const configured = (env.FIREBREAK_RESPONDERS ?? '').split(',').map((id) => id.trim());
    const responders = configured.filter((id) => /^[UW][A-Z0-9]+$/.test(id));
    const groups = configured.filter((id) => /^S[A-Z0-9]+$/.test(id));
    const slack = await startSlackSimulator({
      users: [
        { id: SIMULATED_ON_CALL.slackUserId, email: SIMULATED_ON_CALL.email, name: SIMULATED_ON_CALL.name },
        ...responders.map((id) => ({ id, email: `${id.toLowerCase()}@firebreak.example`, name: `Responder ${id}` })),
      ],
      userGroups: groups.map((id) => ({ id, users: [SIMULATED_ON_CALL.slackUserId] })),
    });
    closers.push(() => slack.close());
    simulators.slack = slack;
    setSimulated('SLACK_BOT_TOKEN', 'xoxb-firebreak-simulated');
    setSimulated('SLACK_API_URL', slack.url);
    routes['/simulators/slack'] = () => ({ calls: slack.calls() });
    // The weekly review's summary goes to a review channel: one in the simulated workspace unless one is named.
    if (real(env, 'FIREBREAK_REVIEW_CHANNEL') === undefined) setSimulated('FIREBREAK_REVIEW_CHANNEL', await createReviewChannel(slack.url));
    services.push({ name: 'Slack', mode: `simulated: Web API on ${slack.url} (GET /simulators/slack)` });
  }
  if (real(env, 'SLACK_SIGNING_SECRET') === undefined) {
    setSimulated('SLACK_SIGNING_SECRET', persistentSecret(dataDir, 'slack-signing-secret'));
  }
  out[SIMULATED_MARK] = simulated.join(',');
  return {
    env: out,
    services,
    routes,
    simulators,
    close: async () => {
      for (const close of closers.reverse()) await close();
    },
  };
}

/** Creates `#postmortem-review` in the Slack simulator (Web API `conversations.create`) and returns its id. */
async function createReviewChannel(apiUrl: string): Promise<string> {
  const res = await fetch(`${apiUrl.replace(/\/+$/, '')}/conversations.create`, {
    method: 'POST',
    headers: { authorization: 'Bearer xoxb-firebreak-simulated', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name: 'postmortem-review' }).toString(),
  });
  const body = (await res.json()) as { ok?: boolean; channel?: { id?: string }; error?: string };
  if (body.ok !== true || body.channel?.id === undefined) throw new Error(`the Slack simulator did not create the review channel: ${body.error ?? res.status}`);
  return body.channel.id;
}

/** A random secret kept in the data dir, so signed test requests keep working across restarts. */
function persistentSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(24).toString('hex');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
