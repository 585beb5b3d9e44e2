import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LogLevel, WebClient, type FetchFunction } from '@slack/web-api';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { SlackIncidentChannel } from '../../lambdas/adapters/slack-incident-channel';
import { SlackUserGroups } from '../../lambdas/adapters/slack-user-groups';
import { VendorRejectedError } from '../../lambdas/core/errors';
import { makeOpeningIncident as makeIncident } from '../support/incidents';
import { startSlackSimulator, type SlackCall, type SlackSimulator } from '../../local/simulators/slack-simulator';

/*
 * Conformance: a full incident-channel scenario (open, a second open that
 * meets `name_taken`, invite with `already_in_channel`, lookup by e-mail with
 * `users_not_found`, a thread reply, a summary update) and the responder
 * user-group lookup (a known group, then `no_such_subteam`) run against the
 * Slack simulator, and every call it recorded is checked against Slack's
 * published Web API reference in the shared fixtures (see its SOURCES.md):
 * - the method is documented (in the reference, or — for the few methods the
 *   reference subset lacks — in `DOCUMENTED_ELSEWHERE`, which names its source);
 * - every required parameter is present, and every parameter sent is
 *   documented for that method (the token counts as present when it came as
 *   `Authorization: Bearer`, which is how @slack/web-api sends it);
 * - every `ok:false` error the simulator produced is in the method's error enum;
 * - every answer matches the method's response schema (so the simulator
 *   answers in Slack's shapes), minus the deviations listed below; Slack's
 *   tuple-style "one of" is read as `anyOf` (see `oneOfTuples`).
 * When the directory is absent the suite says so in a passing test and on
 * stderr, rather than skipping silently.
 */

const ROOT = process.env['FIREBREAK_SHARED_FIXTURES']
  ? path.resolve(process.env['FIREBREAK_SHARED_FIXTURES'])
  : path.resolve(__dirname, '../../../shared/fixtures');
const SUMMARY_FILE = path.join(ROOT, 'slack', 'slack_web_api_methods_summary.json');
const OPENAPI_FILE = path.join(ROOT, 'slack', 'slack_web_openapi_v2.subset.json');

/** `slack_web_api_methods_summary.json`: per `/<method>`, its params `[name, in, required]` and the error enum per response code. */
interface MethodSummary {
  readonly method: string;
  readonly params: readonly (readonly [string, string, boolean])[];
  readonly responses: Readonly<Record<string, { readonly errors: readonly string[] | null }>>;
}

/**
 * Methods Firebreak calls that the shared reference does not cover: its
 * subset of slackapi/slack-api-specs lists the channel methods only. Each is
 * checked against what Slack documents for it elsewhere (the source is named),
 * written out here in the summary's shape, with response schemas built from
 * the documented answers. If the reference gains the method, its entry here
 * must go (a test says so), so the reference always wins.
 */
const DOCUMENTED_ELSEWHERE: Readonly<Record<string, { readonly source: string; readonly summary: MethodSummary; readonly success: object; readonly error: object }>> = (() => {
  // Slack's method page (https://api.slack.com/methods/usergroups.users.list, also on
  // docs.slack.dev/reference/methods/usergroups.users.list) and @slack/web-api's
  // UsergroupsUsersListArguments: token and `usergroup` required; `include_disabled`
  // and `team_id` (org tokens) optional; success `{ok: true, users: [<user id>…]}`;
  // errors `no_such_subteam`, `plan_upgrade_required` and those of the common Web API
  // errors listed there that this list names (not all of them: only the ones checked).
  const errors = [
    'no_such_subteam',
    'plan_upgrade_required',
    'not_authed',
    'invalid_auth',
    'account_inactive',
    'token_revoked',
    'invalid_arg_name',
    'invalid_form_data',
    'invalid_post_type',
    'ratelimited',
    'fatal_error',
  ];
  return {
    'usergroups.users.list': {
      source: 'https://api.slack.com/methods/usergroups.users.list',
      summary: {
        method: 'get',
        params: [
          ['token', 'header', true],
          ['usergroup', 'query', true],
          ['include_disabled', 'query', false],
          ['team_id', 'query', false],
        ],
        responses: { '200': { errors: null }, default: { errors } },
      },
      success: {
        type: 'object',
        required: ['ok', 'users'],
        additionalProperties: true,
        properties: { ok: { enum: [true] }, users: { type: 'array', items: { type: 'string', pattern: '^[UW][A-Z0-9]{2,}$' } } },
      },
      error: {
        type: 'object',
        required: ['ok', 'error'],
        additionalProperties: true,
        properties: { ok: { enum: [false] }, error: { enum: errors } },
      },
    },
  };
})();

interface OpenApiSubset {
  readonly paths: Record<string, Record<string, { responses: Record<string, { schema?: Record<string, unknown> }> }>>;
  readonly definitions: Record<string, unknown>;
}

/**
 * Where the 2021 reference is known to disagree with what Slack answers
 * today, the check follows Slack; each entry says why.
 */
const RESPONSE_DEVIATIONS: Readonly<Record<string, { readonly path: string; readonly why: string }>> = {
  'chat.update': {
    path: '/message/blocks',
    why: 'the reference types chat.update message.blocks as an object; Slack returns the blocks array it was given',
  },
};

/**
 * Slack's spec writes "one of" as a tuple `items: [a, b]` on schemas that are
 * not arrays (a conversation object, `tz: [null, string]`…), which JSON Schema
 * ignores for non-arrays. Read it as Slack means it: `anyOf: [a, b]`.
 */
function oneOfTuples(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(oneOfTuples);
  if (typeof node !== 'object' || node === null) return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, oneOfTuples(v)])) as Record<string, unknown>;
  if (Array.isArray(out['items']) && out['type'] === undefined) {
    const { items, ...rest } = out;
    return { ...rest, anyOf: items };
  }
  return out;
}


const fixturesPresent = existsSync(SUMMARY_FILE) && existsSync(OPENAPI_FILE);

describe('Slack Web API reference', () => {
  if (!fixturesPresent) {
    it('reference fixtures are absent: conformance did not run', () => {
      process.stderr.write(
        `\n[conformance] No Slack Web API reference in ${path.join(ROOT, 'slack')}: the Slack adapter's requests and the ` +
          'simulator\'s answers were NOT checked against Slack\'s published methods. Set FIREBREAK_SHARED_FIXTURES to the shared fixtures directory to run it.\n',
      );
      expect(fixturesPresent).toBe(false);
    });
    return;
  }

  const reference = JSON.parse(readFileSync(SUMMARY_FILE, 'utf8')) as Record<string, MethodSummary>;
  /** Per `/<method>`: the reference's summary, or the documented-elsewhere one. */
  const summary: Record<string, MethodSummary> = {
    ...Object.fromEntries(Object.entries(DOCUMENTED_ELSEWHERE).map(([method, extra]) => [`/${method}`, extra.summary])),
    ...reference,
  };
  const openapi = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as OpenApiSubset;
  const token = 'xoxb-conformance';
  let slack: SlackSimulator;
  let calls: SlackCall[] = [];
  let groupMembers: string[] = [];
  let unknownGroup: unknown;
  const answers: { method: string; status: number; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    slack = await startSlackSimulator({
      token,
      users: [
        { id: 'U01ALICE', email: 'alice@example.com', name: 'alice' },
        { id: 'U02BOB', email: 'bob@example.com', name: 'bob' },
      ],
      userGroups: [{ id: 'S0RESPONDERS', users: ['U01ALICE', 'U02BOB'] }],
    });
    // The same client the adapter builds, plus a fetch that keeps a copy of every answer.
    const capture: FetchFunction = async (url, init) => {
      const response = await fetch(url, init as RequestInit);
      const body = (await response.clone().json()) as Record<string, unknown>;
      answers.push({ method: String(url).slice(slack.url.length), status: response.status, body });
      return response;
    };
    const client = new WebClient(token, { slackApiUrl: slack.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR, fetch: capture });
    const channel = new SlackIncidentChannel({ token, client });
    const incident = makeIncident();

    const ref = await channel.open(incident);
    await channel.open(incident); // name_taken, then the -2 name
    await channel.invite(ref, ['U01ALICE']);
    await channel.invite(ref, ['U01ALICE', 'U02BOB']); // already_in_channel, then U02BOB alone
    await channel.findUserByEmail('bob@example.com');
    await channel.findUserByEmail('nobody@example.com'); // users_not_found
    await channel.postToThread(ref, 'Page triggered (1 attempt)');
    await channel.updateSummary(ref, { ...incident, status: 'acknowledged', acknowledgedAt: '2026-11-21T10:05:00.000Z', version: 2 });
    // FIREBREAK_RESPONDERS may name a user group: its members, through the same client.
    const groups = new SlackUserGroups(client);
    groupMembers = await groups.members('S0RESPONDERS');
    unknownGroup = await groups.members('S0NOSUCHGROUP').then(
      () => undefined,
      (error: unknown) => error,
    );
    calls = slack.calls();
  });

  afterAll(async () => {
    await slack?.close();
  });

  it('runs the whole scenario, errors included', () => {
    expect([...new Set(calls.map((c) => c.method))].sort()).toEqual(
      ['chat.postMessage', 'chat.update', 'conversations.create', 'conversations.invite', 'conversations.setTopic', 'pins.add', 'usergroups.users.list', 'users.lookupByEmail'],
    );
    expect(calls.filter((c) => !c.ok).map((c) => `${c.method}:${c.error}`)).toEqual([
      'conversations.create:name_taken',
      'conversations.invite:already_in_channel',
      'users.lookupByEmail:users_not_found',
      'usergroups.users.list:no_such_subteam',
    ]);
    expect(groupMembers).toEqual(['U01ALICE', 'U02BOB']);
    expect(unknownGroup).toBeInstanceOf(VendorRejectedError);
    expect(unknownGroup).toMatchObject({ vendor: 'slack', code: 'no_such_subteam' });
  });

  it('calls only documented methods', () => {
    expect(calls.filter((c) => summary[`/${c.method}`] === undefined).map((c) => c.method)).toEqual([]);
  });

  it('calls methods outside the reference only where they are documented elsewhere, and the reference wins', () => {
    const outside = [...new Set(calls.map((c) => c.method).filter((method) => reference[`/${method}`] === undefined))].sort();
    // usergroups.users.list: Slack's method page (see DOCUMENTED_ELSEWHERE), not in the shared subset.
    expect(outside).toEqual(Object.keys(DOCUMENTED_ELSEWHERE).sort());
    // Should the reference gain one of them, its DOCUMENTED_ELSEWHERE entry is stale: remove it.
    expect(Object.keys(DOCUMENTED_ELSEWHERE).filter((method) => reference[`/${method}`] !== undefined)).toEqual([]);
  });

  it('sends every required parameter of each method', () => {
    const missing = calls.flatMap((call) =>
      (summary[`/${call.method}`]?.params ?? [])
        .filter(([, , required]) => required)
        .filter(([name]) => (name === 'token' ? call.auth === 'none' : call.params[name] === undefined))
        .map(([name]) => `${call.method}: ${name}`),
    );

    expect(missing).toEqual([]);
  });

  it('sends only parameters documented for each method', () => {
    const undocumented = calls.flatMap((call) => {
      const documented = new Set((summary[`/${call.method}`]?.params ?? []).map(([name]) => name));
      return Object.keys(call.params)
        .filter((name) => !documented.has(name))
        .map((name) => `${call.method}: ${name}`);
    });

    expect(undocumented).toEqual([]);
  });

  it('produced only errors documented for each method', () => {
    const undocumented = calls
      .filter((call) => !call.ok)
      .filter((call) => {
        const documented = Object.values(summary[`/${call.method}`]?.responses ?? {}).flatMap((r) => r.errors ?? []);
        return call.error === undefined || !documented.includes(call.error);
      })
      .map((call) => `${call.method}: ${call.error ?? `HTTP ${call.status}`}`);

    expect(undocumented).toEqual([]);
  });

  it('answered in the documented response shapes', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validators = new Map<string, ValidateFunction>();
    const validator = (method: string, ok: boolean): ValidateFunction => {
      const key = `${method}:${ok}`;
      const cached = validators.get(key);
      if (cached !== undefined) return cached;
      const operation = Object.values(openapi.paths[`/${method}`] ?? {})[0];
      const extra = DOCUMENTED_ELSEWHERE[method];
      const schema = operation === undefined && extra !== undefined ? (ok ? extra.success : extra.error) : operation?.responses[ok ? '200' : 'default']?.schema;
      if (schema === undefined) throw new Error(`no ${ok ? 'success' : 'error'} schema for ${method}`);
      const compiled = ajv.compile({ ...(oneOfTuples(schema) as object), definitions: oneOfTuples(openapi.definitions) });
      validators.set(key, compiled);
      return compiled;
    };

    expect(answers).toHaveLength(calls.length);
    const problems = answers.flatMap((answer) => {
      const validate = validator(answer.method, answer.body['ok'] === true);
      if (validate(answer.body)) return [];
      const deviation = RESPONSE_DEVIATIONS[answer.method];
      return (validate.errors ?? [])
        .filter((e) => deviation === undefined || !e.instancePath.startsWith(deviation.path))
        .map((e) => `${answer.method}: ${e.instancePath || '(root)'} ${e.message ?? ''}`);
    });

    expect(problems).toEqual([]);
  });
});
