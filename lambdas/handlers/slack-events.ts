import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { SlackUserGroups } from '../adapters/slack-user-groups';
import { parseResponders, type GroupMembers, type Responders } from '../core/commands/responders';
import { ConfigurationError } from '../core/errors';
import type { ModelControlPlane } from '../core/model-control';
import type { Clock, IncidentStore, WorkflowStarter } from '../core/ports';
import { createSlackApp, interactiveClientOptions } from '../slack/app';
import { controlPlane } from './control-plane-runtime';
import { vendorConfig } from './engagement-runtime';
import { httpError } from './http';
import { runtime } from './runtime';

/** Everything the Slack entry point needs; {@link handler} builds it from the environment. */
export interface SlackEventsConfig {
  readonly signingSecret: string;
  readonly token: string;
  /** Base URL of the Slack Web API. @default Slack's */
  readonly slackApiUrl?: string;
  readonly store: IncidentStore;
  readonly starter: WorkflowStarter;
  readonly clock: Clock;
  readonly responders: Responders;
  /** Members of a user group. @default `usergroups.users.list` through the Web API (cached for a minute) */
  readonly groupMembers?: GroupMembers;
  /**
   * The model control plane `/incident contain`, `/incident undo` and the
   * Undo buttons write to. Absent: they answer that none is configured
   * (and record the attempt); nothing is changed on the model.
   */
  readonly control?: ModelControlPlane;
}

/** A Lambda handler for Function URL / HTTP API (payload format 2.0) events. Two parameters, as Node 24 runtimes require. */
export type SlackEventsHandler = (event: APIGatewayProxyEventV2, context?: unknown) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The Slack entry point for given dependencies: both `POST /slack/commands`
 * and `POST /slack/interactions` (Bolt tells a command from an interaction
 * by the body). Bolt's `AwsLambdaReceiver` verifies the signature (bad or
 * older than 5 minutes → 401) and answers once the listener is done.
 *
 * The receiver reads payload-2.0 events as they are (it uses `headers`,
 * `body` and `isBase64Encoded`; the path only for a log line), so the event
 * is passed through, with two fixes: a base64 body is decoded here as UTF-8
 * (Bolt decodes it as ASCII), and the content type loses its parameters
 * (Bolt compares it with `application/x-www-form-urlencoded` exactly, and
 * would fail on `; charset=utf-8`). A body Bolt cannot parse gets 400.
 *
 * The app's `auth.test` runs before the first request (and again on the
 * next request if it failed: 503 meanwhile).
 *
 * @example
 * const handle = createSlackEventsHandler({ signingSecret, token, slackApiUrl, store, starter, clock, responders });
 * const response = await handle(functionUrlEvent);
 */
export function createSlackEventsHandler(config: SlackEventsConfig): SlackEventsHandler {
  const groupMembers = config.groupMembers ?? membersThroughWebApi(config);
  const { app, receiver } = createSlackApp({
    signingSecret: config.signingSecret,
    token: config.token,
    ...(config.slackApiUrl === undefined ? {} : { slackApiUrl: config.slackApiUrl }),
    deps: {
      store: config.store,
      starter: config.starter,
      clock: config.clock,
      responders: config.responders,
      groupMembers,
      ...(config.control === undefined ? {} : { control: config.control }),
    },
    logger: boltLogger(),
  });
  const receive = receiver.toHandler();
  let ready: Promise<void> | undefined;

  return async (event, context) => {
    const method = event.requestContext?.http?.method ?? 'POST';
    if (method !== 'POST') return httpError(405, 'MethodNotAllowed', `${method} is not allowed: Slack POSTs commands and interactions`);
    const initializing = (ready ??= app.init());
    try {
      await initializing;
    } catch (error) {
      if (ready === initializing) ready = undefined;
      logger.error('Slack app initialization (auth.test) failed', { error });
      return httpError(503, 'SlackUnavailable', 'the Slack app could not initialize (auth.test failed); try again');
    }
    try {
      return await receive(normalize(event), context);
    } catch (error) {
      // Bolt parses the body before it checks the signature; an unparsable one throws.
      logger.warn('Slack request body could not be parsed', { error });
      return httpError(400, 'InvalidBody', 'the body is neither a form-encoded Slack request nor JSON');
    }
  };
}

function membersThroughWebApi(config: SlackEventsConfig): GroupMembers {
  if (config.responders.groups.length === 0) return () => Promise.resolve([]);
  const groups = new SlackUserGroups(new WebClient(config.token, interactiveClientOptions(config.slackApiUrl)));
  return (groupId) => groups.members(groupId);
}

/** The event as Bolt reads it: body decoded as UTF-8, media type without parameters. */
function normalize(event: APIGatewayProxyEventV2): APIGatewayProxyEventV2 {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    headers[name.toLowerCase()] = name.toLowerCase() === 'content-type' && value !== undefined ? value.split(';')[0]?.trim().toLowerCase() : value;
  }
  const body = event.body === undefined || !event.isBase64Encoded ? event.body : Buffer.from(event.body, 'base64').toString('utf8');
  return { ...event, headers, isBase64Encoded: false, ...(body === undefined ? {} : { body }) };
}

/** Bolt's log lines, through Firebreak's one logger. */
function boltLogger(): BoltLogger {
  let level = LogLevel.INFO;
  const line = (parts: unknown[]): { message: string; errors: unknown[] } => ({
    message: parts.filter((p) => !(p instanceof Error)).map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' '),
    errors: parts.filter((p) => p instanceof Error),
  });
  const log = (write: (message: string, ...extra: Record<string, unknown>[]) => void) => (...parts: unknown[]): void => {
    const { message, errors } = line(parts);
    if (errors.length === 0) write(`bolt: ${message}`);
    else write(`bolt: ${message}`, { error: errors[0] });
  };
  return {
    debug: log((m, ...e) => logger.debug(m, ...e)),
    info: log((m, ...e) => logger.info(m, ...e)),
    warn: log((m, ...e) => logger.warn(m, ...e)),
    error: log((m, ...e) => logger.error(m, ...e)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

let built: { readonly key: unknown[]; readonly handler: SlackEventsHandler } | undefined;

async function fromEnvironment(): Promise<SlackEventsHandler> {
  const vendors = await vendorConfig();
  const rt = runtime();
  const control = controlFromEnvironment();
  if (built !== undefined && built.key[0] === vendors && built.key[1] === rt && built.key[2] === control) return built.handler;
  if (vendors.slackSigningSecret === undefined) throw new ConfigurationError('SLACK_SIGNING_SECRET is required (environment, or the FIREBREAK_VENDOR_SECRET_ARN secret)');
  if (vendors.slackBotToken === undefined) throw new ConfigurationError('SLACK_BOT_TOKEN is required (environment, or the FIREBREAK_VENDOR_SECRET_ARN secret)');
  const handler = createSlackEventsHandler({
    signingSecret: vendors.slackSigningSecret,
    token: vendors.slackBotToken,
    ...(vendors.slackApiUrl === undefined ? {} : { slackApiUrl: vendors.slackApiUrl }),
    store: rt.store,
    starter: rt.starter,
    clock: rt.clock,
    responders: parseResponders(vendors.responders.join(',')),
    ...(control === undefined ? {} : { control }),
  });
  built = { key: [vendors, rt, control], handler };
  return handler;
}

/**
 * The model control plane, when one is configured: `FIREBREAK_CONTROL_PLANE`
 * names it, or `TABLE_NAME` is set (the embedded target's control plane
 * lives in the incident table). One that cannot be built is logged and left
 * out, so that the other commands keep working; `contain` and `undo` then
 * answer that no control plane is configured.
 */
function controlFromEnvironment(): ModelControlPlane | undefined {
  if (!process.env.FIREBREAK_CONTROL_PLANE && !process.env.TABLE_NAME) return undefined;
  try {
    return controlPlane();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    logger.error('model control plane is not configured: /incident contain and undo cannot act on the model', { error });
    return undefined;
  }
}

/**
 * `POST /slack/commands` and `POST /slack/interactions`: the Lambda entry
 * point (Function URL, payload format 2.0) and the embedded server's route.
 * Built once per process from the environment: `SLACK_SIGNING_SECRET`,
 * `SLACK_BOT_TOKEN` (or the `FIREBREAK_VENDOR_SECRET_ARN` secret on AWS),
 * `SLACK_API_URL` (optional), `FIREBREAK_RESPONDERS`, the ports of
 * `runtime()` (`TABLE_NAME`, `RESOLVE_STATE_MACHINE_ARN`,
 * `ACKNOWLEDGE_STATE_MACHINE_ARN`, `ROLLBACK_STATE_MACHINE_ARN`), and the
 * model control plane of `controlPlane()` when `FIREBREAK_CONTROL_PLANE` or
 * `TABLE_NAME` is set. Missing configuration answers 500.
 *
 * @example
 * // lib/constructs/inbound-endpoints.ts: entry 'lambdas/handlers/slack-events.ts', handler 'handler'
 */
export async function handler(event: APIGatewayProxyEventV2, context?: unknown): Promise<APIGatewayProxyStructuredResultV2> {
  let handle: SlackEventsHandler;
  try {
    handle = await fromEnvironment();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      logger.error('Slack entry point is not configured', { error });
      return httpError(500, error.name, error.message);
    }
    logger.error('Slack entry point could not start', { error });
    return httpError(503, error instanceof Error ? error.name : 'Error', 'the Slack entry point could not start; try again');
  }
  return handle(event, context);
}
