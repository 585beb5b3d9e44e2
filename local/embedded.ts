import './polyfills';
import * as path from 'node:path';
import { synthesizeFirebreak, type CloudFormationTemplate } from '../lib/synth';
import { localPlaceholderResolver, type TokenResolver } from '../lib/resolve-definition';
import { handler as alertmanagerIntake } from '../lambdas/handlers/alertmanager-intake';
import { handler as cloudwatchIntake } from '../lambdas/handlers/cloudwatch-intake';
import { handler as pagerDutyWebhook } from '../lambdas/handlers/pagerduty-webhook';
import { handler as slackEvents } from '../lambdas/handlers/slack-events';
import { wireVendors, type VendorWiring } from './vendors';
import { DynamoDbModelControlPlane } from '../lambdas/adapters/dynamodb-model-control-plane';
import { createDocumentClient } from '../lambdas/adapters/dynamodb-client';
import { demoModelControlState } from './demo-model/in-memory-control-plane';
import { CANARY_TOKEN } from './demo-model/versions';
import { DemoSliSource } from './demo-model/demo-sli-source';
import { startDemoModel } from './demo-model/server';
import { DEFAULT_MODEL } from './demo-model/versions';
import { registerSliSource } from '../lambdas/handlers/sli-runtime';
import { runtime } from '../lambdas/handlers/runtime';
import type { IncidentStore, SignalInbox } from '../lambdas/core/ports';
import { ensureTable, LOCAL_AWS, startLocalDynamoDb, type LocalDynamoDb } from './local-dynamodb';
import { localSigner } from './in-process-http-handler';
import { useAwsClientSettings } from '../lambdas/adapters/aws-client-settings';
import { PipelineMetrics } from './metrics';
import { handler as draftPostmortem } from '../lambdas/handlers/draft-postmortem';
import { recordsRuntime } from '../lambdas/handlers/records-runtime';
import { IncidentNotFoundError, InvalidInputError } from '../lambdas/core/errors';
import { startHttpServer } from './server';
import { LocalWorkflowEngine } from './workflows/local-workflow-engine';
import { startStepFunctionsApi } from './workflows/stepfunctions-api-server';
import { workflowsFromTemplate } from './workflows/template-workflows';

/** Where the project lives: handlers are loaded relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * The records and evidence settings the user gave, read once: targets started
 * later in the same process (tests) must not inherit another target's data dir.
 */
const USER_SETTINGS = {
  recordsRepo: process.env.FIREBREAK_RECORDS_REPO || undefined,
  evidenceRoot: process.env.FIREBREAK_EVIDENCE_ROOT || undefined,
  postmortemTemplate: process.env.FIREBREAK_POSTMORTEM_TEMPLATE || undefined,
};

/** Options of the embedded target. */
export interface EmbeddedOptions {
  /** @default 8787 (0 picks a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** DynamoDB files live here. @default `FIREBREAK_DATA_DIR` or `./.firebreak` */
  readonly dataDir?: string;
  /** @default `FIREBREAK_POLICY_FILE` or `runbooks/slos.yaml` of the project */
  readonly policyFile?: string;
  /** Bearer token for the alert routes. @default `FIREBREAK_WEBHOOK_TOKEN` */
  readonly webhookToken?: string;
  /** Shorten Wait states (state name → ms): tests and drills only. */
  readonly waitTimeOverrides?: Record<string, number>;
  /** Shorten retry intervals (state name → ms): tests and drills only. */
  readonly retryIntervalOverrides?: Record<string, number>;
  /** A template synthesized already (tests reuse one); synthesized at start otherwise. */
  readonly template?: CloudFormationTemplate;
  /** Start the demo model service (OpenAI-compatible) obeying the local control plane. @default true */
  /**
   * The records repository (`corpus/`, `postmortems/`, `reviews/`): a
   * directory (local git) or `github://owner/repo`.
   * @default `FIREBREAK_RECORDS_REPO`, else `<data dir>/records`
   */
  readonly recordsRepo?: string;
  readonly demoModel?: boolean;
  /** Multiplies the demo model's modelled delays (drills and tests shorten them). @default 1 */
  readonly demoModelDelayScale?: number;
}

/** A running embedded target. */
export interface EmbeddedTarget {
  readonly url: string;
  readonly dataDir: string;
  readonly store: IncidentStore;
  readonly inbox: SignalInbox;
  readonly engine: LocalWorkflowEngine;
  /** What is real and what is simulated, for the start-up banner. */
  readonly services: readonly { readonly name: string; readonly mode: string }[];
  /** The built-in PagerDuty and Slack simulators, when they are in use. */
  readonly simulators: VendorWiring['simulators'];
  /** Number of signals and unconfirmed incidents whose workflows were re-driven at start. */
  readonly redriven: number;
  close(): Promise<void>;
}

function findFunctionEnv(template: CloudFormationTemplate, handlerModule: string): Record<string, unknown> {
  for (const resource of Object.values(template.Resources)) {
    const ref = resource.Metadata?.['firebreak:handler'];
    if (resource.Type === 'AWS::Lambda::Function' && typeof ref === 'string' && ref.startsWith(handlerModule)) {
      const env = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      const resolver = localPlaceholderResolver(template);
      return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, resolveValue(value, resolver)]));
    }
  }
  throw new Error(`the synthesized template has no function for ${handlerModule}`);
}

/** A property value with its `Ref`/`Fn::GetAtt`/`Fn::Join` tokens replaced by local placeholders. */
function resolveValue(value: unknown, resolver: TokenResolver): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const record = (value ?? {}) as Record<string, unknown>;
  if ('Ref' in record || 'Fn::GetAtt' in record) return resolver(record as Parameters<TokenResolver>[0]);
  const join = record['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return (join[1] as unknown[]).map((part) => resolveValue(part, resolver)).join(join[0]);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} for the embedded target`);
}

/**
 * Starts Firebreak on one machine: dynalite (on disk) for DynamoDB, the
 * synthesized state machines on aws-local-stepfunctions behind a local Step
 * Functions API, and the HTTP routes. Workflows of signals that were
 * accepted but not finished before a crash are re-driven.
 *
 * @example
 * const target = await startEmbedded({ port: 0, dataDir: '/tmp/fb' });
 * // POST `${target.url}/alerts/alertmanager` …
 * await target.close();
 */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<EmbeddedTarget> {
  const dataDir = path.resolve(options.dataDir ?? process.env.FIREBREAK_DATA_DIR ?? '.firebreak');
  const template = options.template ?? synthesizeFirebreak().template;
  const tableEntry = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::DynamoDB::Table');
  if (tableEntry === undefined) throw new Error('the synthesized template has no DynamoDB table');

  const ddb = await startLocalDynamoDb({ dir: path.join(dataDir, 'dynamodb') });
  const cleanups: (() => Promise<void>)[] = [() => ddb.close()];
  try {
    return await startOn(ddb, dataDir, template, tableEntry[1].Properties ?? {}, options, cleanups);
  } catch (error) {
    // Leave nothing running (and no LevelDB lock held) when start-up fails.
    for (const cleanup of cleanups.reverse()) await cleanup().catch((closeError: unknown) => {
      throw new AggregateError([error, closeError], 'start-up failed and so did the clean-up');
    });
    throw error;
  }
}

async function startOn(
  ddb: LocalDynamoDb,
  dataDir: string,
  template: CloudFormationTemplate,
  tableProperties: Record<string, unknown>,
  options: EmbeddedOptions,
  cleanups: (() => Promise<void>)[],
): Promise<EmbeddedTarget> {
  const ddbEndpoint = ddb.endpoint;
  const intakeEnv = findFunctionEnv(template, 'lambdas/handlers/alertmanager-intake.ts');
  const tableName = String(intakeEnv.TABLE_NAME);
  await ensureTable(ddbEndpoint, tableName, tableProperties);

  const metrics = new PipelineMetrics(async () => (await runtime().store.listActive()).length);
  const engine = new LocalWorkflowEngine(workflowsFromTemplate(template), {
    projectRoot: PROJECT_ROOT,
    waitTimeOverrides: options.waitTimeOverrides,
    retryIntervalOverrides: options.retryIntervalOverrides,
    onSettled: (workflow, execution) => metrics.executions.inc({ workflow, status: execution.status }),
  });
  const sfnApi = await startStepFunctionsApi(engine);
  cleanups.push(() => sfnApi.close());
  // The handlers' SDK clients reach dynalite and the engine in this process without a socket (and
  // without computing SigV4 signatures the stand-ins never check); other processes use the endpoints.
  const restoreClientSettings = useAwsClientSettings({
    dynamodb: { requestHandler: ddb.requestHandler, signer: localSigner('dynamodb', LOCAL_AWS.region) },
    sfn: { requestHandler: sfnApi.requestHandler, signer: localSigner('states', LOCAL_AWS.region) },
  });
  cleanups.push(async () => restoreClientSettings());

  Object.assign(process.env, {
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint,
    AWS_ENDPOINT_URL_SFN: sfnApi.endpoint,
    TABLE_NAME: tableName,
    RESPOND_STATE_MACHINE_ARN: String(intakeEnv.RESPOND_STATE_MACHINE_ARN),
    FIREBREAK_POLICY_FILE: path.resolve(options.policyFile ?? process.env.FIREBREAK_POLICY_FILE ?? path.join(PROJECT_ROOT, 'runbooks', 'slos.yaml')),
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    // Records (corpus/, postmortems/, reviews/) go to a local git repository under the data dir unless
    // FIREBREAK_RECORDS_REPO names another one; evidence files are read from under the data dir.
    FIREBREAK_RECORDS_REPO: options.recordsRepo ?? USER_SETTINGS.recordsRepo ?? path.join(dataDir, 'records'),
    FIREBREAK_EVIDENCE_ROOT: path.resolve(USER_SETTINGS.evidenceRoot ?? dataDir),
    FIREBREAK_POSTMORTEM_TEMPLATE: path.resolve(USER_SETTINGS.postmortemTemplate ?? path.join(PROJECT_ROOT, 'runbooks', 'postmortem-template.md')),
  });
  const slackEnv = findFunctionEnv(template, 'lambdas/handlers/slack-events.ts');
  process.env.RESOLVE_STATE_MACHINE_ARN = String(slackEnv.RESOLVE_STATE_MACHINE_ARN);
  process.env.ACKNOWLEDGE_STATE_MACHINE_ARN = String(slackEnv.ACKNOWLEDGE_STATE_MACHINE_ARN);
  process.env.ROLLBACK_STATE_MACHINE_ARN = String(slackEnv.ROLLBACK_STATE_MACHINE_ARN);
  delete process.env.FIREBREAK_WEBHOOK_TOKEN_SECRET_ARN;
  delete process.env.FIREBREAK_VENDOR_SECRET_ARN;
  const vendors = await wireVendors(dataDir);
  cleanups.push(() => vendors.close());
  Object.assign(process.env, vendors.env);
  const token = options.webhookToken ?? process.env.FIREBREAK_WEBHOOK_TOKEN;
  if (token === undefined || token === '') delete process.env.FIREBREAK_WEBHOOK_TOKEN;
  else process.env.FIREBREAK_WEBHOOK_TOKEN = token;

  process.env.FIREBREAK_CONTROL_PLANE = 'dynamodb';
  const rt = runtime();
  rt.policy(); // fail at start, with the file and path, if the policy is invalid
  // The demo model's control state (versions, known-good marks, switches) lives in the local table;
  // a restart keeps whatever the incidents changed.
  const controlPlane = new DynamoDbModelControlPlane(createDocumentClient(), tableName);
  const seeded = await controlPlane.seed(demoModelControlState());
  let demoUrl: string | undefined;
  if (options.demoModel !== false) {
    const demo = await startDemoModel({
      port: 0,
      controlPlane,
      // Where the adversarial-refusal-rate SLO's evidence setting points (file://evidence/support-bot/…).
      evidenceFile: path.join(dataDir, 'evidence', 'support-bot', 'adversarial-probes.jsonl'),
      delays: { scale: options.demoModelDelayScale ?? 1 },
    });
    cleanups.push(() => demo.close());
    demoUrl = demo.url;
    // Recovery checks read the demo model's own metrics, scraped every second for windowed rates.
    process.env.FIREBREAK_DEMO_MODEL_URL = demo.url;
    // Its hidden system prompt carries this canary: harvested cases check that replays never leak it.
    process.env.FIREBREAK_CANARY ??= CANARY_TOKEN;
    process.env.FIREBREAK_SLI_SOURCE ??= 'demo';
  }
  registerSliSource('demo', () => {
    const url = process.env.FIREBREAK_DEMO_MODEL_URL;
    if (url === undefined) throw new Error('FIREBREAK_SLI_SOURCE=demo needs the demo model (FIREBREAK_DEMO_MODEL_URL)');
    // Bound to the demo model: an incident of any other model gets `unknown-model`, not the demo's numbers.
    const source = new DemoSliSource({ metricsUrl: `${url.replace(/\/+$/, '')}/metrics`, model: DEFAULT_MODEL });
    source.start(1000);
    return source;
  });
  const server = await startHttpServer(
    {
      post: {
        '/alerts/alertmanager': alertmanagerIntake,
        '/alerts/cloudwatch': cloudwatchIntake as never,
        '/slack/commands': slackEvents as never,
        '/slack/interactions': slackEvents as never,
        '/pagerduty/webhooks': pagerDutyWebhook,
      },
      getJson: vendors.routes,
      store: rt.store,
      metrics,
      records: recordsRuntime().records,
      actions: {
        // `firebreak postmortem draft ID`: the resolve workflow's Draft The Postmortem task, on demand.
        draftPostmortem: async (id) => {
          if ((await rt.store.get(id)) === undefined) throw new IncidentNotFoundError(id);
          return draftPostmortem({ incidentId: id });
        },
        // `firebreak review weekly`: an execution of the synthesized weekly-review workflow, as the schedule starts it.
        weeklyReview: (week) => runWeeklyReview(engine, week),
      },
    },
    { host: options.host ?? '127.0.0.1', port: options.port ?? Number(process.env.FIREBREAK_PORT ?? 8787) },
  );
  cleanups.push(() => server.close());
  process.env.FIREBREAK_PUBLIC_URL ??= server.url;
  const redriven = await redrive(rt);
  return {
    url: server.url,
    dataDir,
    store: rt.store,
    inbox: rt.inbox,
    engine,
    simulators: vendors.simulators,
    redriven,
    services: [
      { name: 'DynamoDB', mode: `simulated: dynalite on ${ddbEndpoint} (Firebreak's own handlers: in-process), data in ${path.join(dataDir, 'dynamodb')}` },
      { name: 'Step Functions', mode: `simulated: aws-local-stepfunctions on ${sfnApi.endpoint} (Firebreak's own handlers: in-process), running the synthesized definitions` },
      ...vendors.services,
      ...(demoUrl === undefined ? [] : [{ name: 'Demo model', mode: `${demoUrl}/v1/chat/completions (OpenAI-compatible; metrics at /metrics)` }]),
      { name: 'Model control', mode: `simulated: ${seeded.state.model} in the local table, serving ${seeded.state.activeVersion}${seeded.created ? ' (seeded)' : ''}` },
      { name: 'Records', mode: `${recordsRuntime().records.kind} repository ${process.env.FIREBREAK_RECORDS_REPO ?? ''} (corpus/, postmortems/, reviews/); evidence under ${process.env.FIREBREAK_EVIDENCE_ROOT ?? dataDir}` },
      { name: 'Alert routes', mode: token ? 'bearer token required (FIREBREAK_WEBHOOK_TOKEN)' : 'open (set FIREBREAK_WEBHOOK_TOKEN to require a bearer token)' },
    ],
    close: async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

/**
 * Starts the `weekly-review` workflow (input `{week?}`, as the schedule or a
 * person starts it) and waits for its result: `{week, path, link, summary, …}`.
 *
 * @throws InvalidInputError for a week the task refuses; WorkflowExecutionError when it fails otherwise
 */
async function runWeeklyReview(engine: LocalWorkflowEngine, week: string | undefined): Promise<unknown> {
  const arn = engine.arnOf('weekly-review');
  if (arn === undefined) throw new Error('the template has no weekly-review workflow');
  const execution = engine.start(arn, `review-${week ?? 'latest'}-${Date.now()}`, JSON.stringify(week === undefined ? {} : { week }));
  await execution.done;
  if (execution.status !== 'SUCCEEDED') {
    const cause = execution.cause ?? execution.error ?? execution.status;
    if (/InvalidInputError/.test(`${execution.error ?? ''} ${cause}`)) throw new InvalidInputError('weekly review request', [{ path: 'week', message: String(cause) }]);
    throw new Error(`the weekly-review execution ${execution.status.toLowerCase()}: ${cause}`);
  }
  const output = JSON.parse(execution.output ?? '{}') as { review?: unknown };
  return output.review ?? output;
}

/**
 * Restarts `respond` for work a crash interrupted: signals accepted but not
 * processed, and incidents whose breach was never confirmed (their flap-hold
 * wait was in memory). Both steps are idempotent.
 */
async function redrive(rt: ReturnType<typeof runtime>): Promise<number> {
  let count = 0;
  for (const record of await rt.inbox.listPending()) {
    await rt.starter.startRespond(record.signal);
    count += 1;
  }
  for (const incident of await rt.store.listActive()) {
    if (incident.confirmedAt !== undefined) continue;
    const opener = await rt.inbox.get(incident.openedBySignal);
    if (opener === undefined) continue;
    await rt.starter.startRespond(opener.signal);
    count += 1;
  }
  return count;
}
