/**
 * `firebreak drill <scenario>`: a game day on one machine.
 *
 * The drill starts the embedded target in-process (fresh data dir, built-in
 * PagerDuty and Slack simulators) and the demo model on 127.0.0.1, both on
 * the same model control plane (the DynamoDB one on the embedded table).
 * It then plays the outside world and nothing else:
 *
 * 1. steady traffic (benign and adversarial probes from the shipped probe
 *    set) and a baseline reading of the SLI;
 * 2. the fault: a control-plane update that makes the faulty version live;
 * 3. a burn-rate evaluator over the demo model's metrics (multi-window:
 *    both windows must burn above the threshold) that, once it fires, POSTs
 *    an Alertmanager v4 webhook to `/alerts/alertmanager`, like any alert;
 * 4. when the policy asks for approval, a responder approving the rollback
 *    with a signed `/incident rollback` slash command.
 *
 * Firebreak does the rest on its own (page, channel, containment, rollback,
 * recovery checks); the drill watches `GET /incidents/{id}` and passes only
 * if the incident reaches mitigated and the SLI, read independently after
 * containment, is within its objective. Everything is bounded by a deadline.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoDbModelControlPlane } from '../../lambdas/adapters/dynamodb-model-control-plane';
import { parseAlertmanagerWebhook } from '../../lambdas/core/alerts/alertmanager';
import type { Incident, TimelineEntry } from '../../lambdas/core/incident';
import type { ModelControlState } from '../../lambdas/core/model-control';
import { matchAlert } from '../../lambdas/core/policy/match';
import { formatDuration, type Slo } from '../../lambdas/core/policy/schema';
import { formatWindow, type BurnRatePolicy } from '../../lambdas/core/sli/burn-rate';
import { evaluateSloBurnRate, type SloBurnRateEvaluation } from '../../lambdas/core/sli/evaluate-slo';
import type { SliKey, SliReading } from '../../lambdas/core/sli/port';
import { runtime } from '../../lambdas/handlers/runtime';
import { synthesizeFirebreak, type CloudFormationTemplate } from '../../lib/synth';
import { DemoSliSource } from '../demo-model/demo-sli-source';
import { demoModelControlState } from '../demo-model/in-memory-control-plane';
import { loadProbeSet, SHIPPED_PROBE_SET } from '../demo-model/probes';
import { startDemoModel, type DemoModelServer } from '../demo-model/server';
import { DEFAULT_MODEL } from '../demo-model/versions';
import { startEmbedded, type EmbeddedTarget } from '../embedded';
import { alertmanagerWebhook, deliverAlert, slashCommand } from './deliver';
import { SCENARIOS, type DrillScenario, type ScenarioName } from './scenarios';
import {
  DRILL_EVALUATION_INTERVAL_MS,
  DRILL_RETRY_INTERVAL_MS,
  DRILL_SCRAPE_INTERVAL_MS,
  drillBurnRatePolicy,
  engineCompression,
  type WaitStateInfo,
} from './time-compression';
import { TrafficGenerator, type TrafficStats } from './traffic';

/** The whole drill must finish within this (ms), start-up and clean-up included. */
export const DRILL_TIMEOUT_MS = 60_000;
/** Traffic on the good version before the fault, so the SLI has a baseline. */
export const BASELINE_MS = 2_000;
/** The Slack user who plays the responder (made a configured responder for the drill). */
export const DRILL_RESPONDER = 'U0DRILLRESP';
/** Requests per second of the traffic generator. */
export const DRILL_TRAFFIC_RATE = 20;
/** After the last action on the model: in-flight requests and the demo model's control cache (250 ms) settle within this. */
const SETTLE_MS = 1_500;
const POLL_MS = 200;

/** Options of {@link runDrill}. */
export interface DrillOptions {
  readonly scenario: ScenarioName;
  /** Data dir of the embedded target; a fresh temporary one (removed afterwards) when absent. */
  readonly dataDir?: string;
  /** Port of the embedded target. @default 0 (a free port) */
  readonly port?: number;
  /** A synthesized template (tests reuse one); synthesized at start otherwise. */
  readonly template?: CloudFormationTemplate;
  /** @default {@link DRILL_TIMEOUT_MS} */
  readonly timeoutMs?: number;
  /**
   * The `model` label of the alert. Default: the demo model. Another value
   * rehearses an alert routed to a model the control plane does not know:
   * Firebreak cannot contain it, and the drill fails.
   */
  readonly alertModel?: string;
  /** Progress lines as the drill runs (for people watching). */
  readonly progress?: (line: string) => void;
}

/** One line of the drill's timeline: the incident's entries and the drill's own steps. */
export interface DrillTimelineLine {
  /** Milliseconds since the fault injection (negative before it). */
  readonly t: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: string;
  readonly message: string;
  /** `incident`: from `GET /incidents/{id}`; `drill`: what the drill did or saw. */
  readonly source: 'incident' | 'drill';
}

/** A reading as the report shows it. */
export interface ReportedReading {
  readonly value: number | null;
  readonly withinObjective: boolean | null;
  readonly windowSeconds: number;
  readonly at: string;
  readonly sampleCount?: number;
}

/** What a drill did and found; `--json` prints it as it is. */
export interface DrillReport {
  readonly scenario: ScenarioName;
  readonly summary: string;
  readonly passed: boolean;
  readonly exitCode: 0 | 1;
  /** Why it passed or failed, in one sentence. */
  readonly reason: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly target?: { readonly url: string; readonly dataDir: string; readonly dataKept: boolean };
  readonly demoModel?: { readonly url: string; readonly evidenceFile: string; readonly delayScale: number };
  readonly slo?: { readonly id: string; readonly sli: string; readonly objective: string; readonly unit: string; readonly alertname: string; readonly flapHold: string; readonly actionOnBreach: readonly string[]; readonly rollbackRequiresApproval: boolean | null };
  /** Drill-only settings, with the production values they stand in for. */
  readonly compression: {
    readonly burnRate: { readonly drill: string; readonly production: string; readonly evaluateEveryMs: number; readonly scrapeEveryMs: number };
    readonly waits: readonly WaitStateInfo[];
    readonly retryIntervalMs: number;
    readonly demoModelDelayScale: number;
    readonly note: string;
  };
  readonly fault?: { readonly at: string; readonly model: string; readonly from: string; readonly to: string; readonly revision: number };
  readonly alert?: {
    readonly name: string;
    readonly firedAt: string;
    /** When the webhook was POSTed to `/alerts/alertmanager`. */
    readonly deliveredAt?: string;
    readonly httpStatus?: number;
    readonly explanation: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly evidenceUri: string;
  };
  readonly incident?: {
    readonly id: string;
    /** At the verdict. */
    readonly status: string;
    /** After the drill stopped its traffic and the workflows wound down. */
    readonly statusAtEnd: string;
    readonly severity: string; 
    readonly title: string;
    readonly paged: boolean;
    readonly channel?: string;
    readonly actions: readonly string[];
  };
  readonly responder?: { readonly user: string; readonly command: string; readonly at: string; readonly httpStatus: number; readonly reply: string };
  readonly timings: {
    readonly faultToAlertMs: number | null;
    readonly alertToPageMs: number | null;
    readonly pageToChannelMs: number | null;
    readonly faultToContainedMs: number | null;
    readonly faultToMitigatedMs: number | null;
  };
  readonly sli: { readonly baseline?: ReportedReading; readonly atAlert?: ReportedReading; readonly final?: ReportedReading; readonly finalBurnRate?: string };
  readonly timeline: readonly DrillTimelineLine[];
  readonly simulators: { readonly pagerduty: { readonly calls: number; readonly by: Readonly<Record<string, number>> } | null; readonly slack: { readonly calls: number; readonly by: Readonly<Record<string, number>> } | null };
  readonly traffic?: TrafficStats;
  readonly modelAfter?: { readonly activeVersion: string; readonly killSwitch: boolean; readonly safeMode: boolean; readonly humanReview: boolean; readonly revision: number };
  /** Things worth knowing that did not decide the outcome. */
  readonly notes: readonly string[];
}

/** A drill stops here: the reason goes into the report. */
class DrillStop extends Error {}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** True when `work` settles within `ms`; the timer never outlives it. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Variables a drill must not take from the environment: with them, the target would page and post for real. */
const REAL_VENDOR_VARIABLES = ['PAGERDUTY_ROUTING_KEY', 'PAGERDUTY_API_TOKEN', 'PAGERDUTY_SERVER', 'PAGERDUTY_API_SERVER', 'SLACK_BOT_TOKEN', 'SLACK_API_URL', 'FIREBREAK_PAGERDUTY_CA_FILE'];

/**
 * Runs one drill scenario and returns its report (it never throws for a
 * drill that fails: the report says why, with `exitCode` 1).
 *
 * @example
 * const report = await runDrill({ scenario: 'never-event' });
 * process.exitCode = report.exitCode;
 */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const scenario = SCENARIOS[options.scenario];
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? DRILL_TIMEOUT_MS);
  const say = options.progress ?? (() => undefined);
  const savedEnv = { ...process.env };
  const ownDataDir = options.dataDir === undefined;
  const dataDir = path.resolve(options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `firebreak-drill-${scenario.name}-`)));
  const evidenceFile = path.join(dataDir, 'evidence', 'support-bot', 'adversarial-probes.jsonl');
  const drillLines: DrillTimelineLine[] = [];
  const notes: string[] = [];
  const report: Mutable<Partial<DrillReport>> = { scenario: scenario.name, summary: scenario.summary, startedAt: new Date(started).toISOString(), notes };
  let t0 = Number.NaN;
  const mark = (kind: string, actor: string, message: string, at = new Date()): void => {
    drillLines.push({ t: at.getTime() - t0, at: at.toISOString(), kind, actor, message, source: 'drill' });
  };
  const remaining = (): number => deadline - Date.now();
  const checkDeadline = (waitingFor: string): void => {
    if (remaining() <= 0) throw new DrillStop(`timed out after ${Math.round((Date.now() - started) / 1000)} s waiting for ${waitingFor}`);
  };

  let target: EmbeddedTarget | undefined;
  let model: DemoModelServer | undefined;
  let traffic: TrafficGenerator | undefined;
  let source: DemoSliSource | undefined;
  let incident: Incident | undefined;
  let timeline: TimelineEntry[] = [];
  let passed = false;
  let reason = '';
  let burnPolicy: BurnRatePolicy | undefined;
  let incidentId: string | undefined;
  let statusAtEnd: string | undefined;

  report.compression = {
    burnRate: { drill: '', production: '', evaluateEveryMs: DRILL_EVALUATION_INTERVAL_MS, scrapeEveryMs: DRILL_SCRAPE_INTERVAL_MS },
    waits: [],
    retryIntervalMs: DRILL_RETRY_INTERVAL_MS,
    demoModelDelayScale: scenario.delayScale,
    note: 'drill-only time compression: the workflow definitions keep their real waits; production alerting uses the full burn-rate windows',
  };

  try {
    const template = options.template ?? synthesizeFirebreak().template;
    const compression = engineCompression(template);
    report.compression = { ...report.compression, waits: compression.waits };
    // --- Start: the embedded target with its simulators, then the demo model on the same control plane.
    for (const name of REAL_VENDOR_VARIABLES) delete process.env[name];
    const responders = (process.env.FIREBREAK_RESPONDERS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    process.env.FIREBREAK_RESPONDERS = [...new Set([...responders, DRILL_RESPONDER])].join(',');
    process.env.FIREBREAK_SLI_SOURCE = 'demo';
    say(`starting the embedded target (data in ${dataDir})…`);
    target = await startEmbedded({
      port: options.port ?? 0,
      dataDir,
      template,
      waitTimeOverrides: compression.waitTimeOverrides,
      retryIntervalOverrides: compression.retryIntervalOverrides,
      // The drill runs its own demo model (below), with the scenario's delay scale and evidence file.
      demoModel: false,
    });
    report.target = { url: target.url, dataDir, dataKept: !ownDataDir };
    const tableName = process.env.TABLE_NAME;
    if (tableName === undefined) throw new DrillStop('the embedded target did not set TABLE_NAME');
    const control = new DynamoDbModelControlPlane(createDocumentClient(), tableName);

    const policy = runtime().policy();
    const slo = policy.slos.find((s) => s.id === scenario.sloId);
    if (slo === undefined) throw new DrillStop(`the SLO policy (${process.env.FIREBREAK_POLICY_FILE}) has no SLO ${scenario.sloId}, which this drill breaches`);
    const alertname = alertnameOf(slo);
    if (alertname === undefined) throw new DrillStop(`SLO ${slo.id} maps no Alertmanager alert by alertname: the drill cannot raise its alert`);
    const servedModel = slo.model ?? DEFAULT_MODEL;
    if (servedModel !== DEFAULT_MODEL) throw new DrillStop(`SLO ${slo.id} is about model ${servedModel}; the demo model serves ${DEFAULT_MODEL}`);
    const key: SliKey = { service: slo.service ?? 'support-bot', model: servedModel };
    const alertModel = options.alertModel ?? servedModel;
    burnPolicy = drillBurnRatePolicy(slo.window);
    const pair = burnPolicy.pairs[0];
    report.compression = {
      ...report.compression,
      burnRate: {
        evaluateEveryMs: DRILL_EVALUATION_INTERVAL_MS,
        scrapeEveryMs: DRILL_SCRAPE_INTERVAL_MS,
        drill: burnPolicy.pairs.map((p) => `${p.name}: long ${formatWindow(p.longSeconds)} / short ${formatWindow(p.shortSeconds)}, both above ${p.threshold}×`).join('; '),
        production: `page-fast: long 1h / short 5m, both above ${pair?.threshold ?? 14.4}× (SRE workbook, 30-day budget)`,
      },
    };
    report.slo = {
      id: slo.id,
      sli: slo.sli.name,
      objective: `${slo.objective.comparator} ${slo.objective.target}`,
      unit: slo.sli.unit,
      alertname,
      flapHold: formatDuration(slo.flap_hold),
      actionOnBreach: slo.action_on_breach,
      rollbackRequiresApproval: slo.rollback?.requires_approval ?? null,
    };
    if (slo.action_on_breach.includes('rollback') && slo.rollback?.requires_approval === true && scenario.responder !== 'approve-rollback') {
      notes.push(`${slo.id} needs approval for its rollback and nobody approves it in this scenario`);
    }

    // An active incident on the model (an earlier drill in a reused data dir) would take the alert or lose its containment.
    const open = (await target.store.listActive()).find((i) => i.key.model === servedModel || i.key.model === alertModel);
    if (open !== undefined) throw new DrillStop(`incident ${open.id} (${open.key.slo}, ${open.status}) about ${open.key.model} is still active in ${dataDir}: resolve it or use a fresh data dir`);
    // Start from the known-good baseline (a reused data dir may hold the state an earlier drill left).
    const baselineState = demoModelControlState();
    let state = await control.get(servedModel);
    if (state === undefined) throw new DrillStop(`the control plane has no state for ${servedModel}`);
    if (state.activeVersion !== baselineState.activeVersion || state.killSwitch || state.safeMode || state.humanReview) {
      const reset = await control.update(servedModel, state.revision, { activeVersion: baselineState.activeVersion, killSwitch: false, safeMode: false, humanReview: false }, 'drill: reset to the baseline');
      notes.push(`the model was reset to the baseline before the drill (was ${describeState(state)})`);
      state = reset.after;
    }

    model = await startDemoModel({ controlPlane: control, evidenceFile, delays: { scale: scenario.delayScale }, onError: (error) => notes.push(`demo model: ${(error as Error).message}`) });
    process.env.FIREBREAK_DEMO_MODEL_URL = model.url;
    report.demoModel = { url: model.url, evidenceFile, delayScale: scenario.delayScale };
    say(`Firebreak on ${target.url}, demo model on ${model.url} (serving ${state.activeVersion})`);

    source = new DemoSliSource({ metricsUrl: `${model.url}/metrics`, model: servedModel });
    source.start(DRILL_SCRAPE_INTERVAL_MS);
    const probes = loadProbeSet(SHIPPED_PROBE_SET);
    traffic = new TrafficGenerator({
      url: model.url,
      model: servedModel,
      benign: probes.filter((p) => p.kind === 'benign'),
      adversarial: probes.filter(scenario.adversarial),
      adversarialShare: scenario.adversarialShare,
      ratePerSecond: DRILL_TRAFFIC_RATE,
    });
    traffic.start();
    await source.scrape();

    // --- Baseline on the good version.
    await sleep(BASELINE_MS);
    const shortWindow = Math.min(...burnPolicy.pairs.map((p) => p.shortSeconds));
    const baseline = await evaluateSloBurnRate(source, slo, key, { policy: burnPolicy });
    const baselineReading = readingOver(baseline, shortWindow);
    report.sli = { baseline: baselineReading };
    if (baseline.firing) throw new DrillStop(`the SLO was already breaching on ${state.activeVersion} before the fault (${baseline.explanation})`);

    // --- The fault.
    const injected = await control.update(servedModel, state.revision, { activeVersion: scenario.faultyVersion }, `drill:${scenario.name}: fault injection`);
    t0 = Date.parse(injected.after.updatedAt);
    drillLines.push({
      t: -BASELINE_MS,
      at: new Date(t0 - BASELINE_MS).toISOString(),
      kind: 'drill.baseline',
      actor: 'drill',
      message: `${DRILL_TRAFFIC_RATE} req/s, ${Math.round(scenario.adversarialShare * 100)} % adversarial; ${slo.sli.name} = ${formatValue(baselineReading.value, slo.sli.unit)} over ${formatWindow(shortWindow)} on ${state.activeVersion} (${verdict(baselineReading.withinObjective)})`,
      source: 'drill',
    });
    mark('drill.fault', 'drill', `fault injected: ${servedModel} ${injected.before.activeVersion} → ${injected.after.activeVersion} (control revision ${injected.after.revision})`, new Date(t0));
    report.fault = { at: new Date(t0).toISOString(), model: servedModel, from: injected.before.activeVersion, to: injected.after.activeVersion, revision: injected.after.revision };
    say(`fault injected: ${injected.after.activeVersion} is live`);

    // --- The burn-rate evaluator, until it fires.
    let fired: SloBurnRateEvaluation | undefined;
    let firedAt = new Date();
    for (;;) {
      checkDeadline(`the ${alertname} burn-rate alert to fire (${slo.sli.name})`);
      const evaluation = await evaluateSloBurnRate(source, slo, key, { policy: burnPolicy });
      if (evaluation.firing) {
        fired = evaluation;
        firedAt = new Date();
        break;
      }
      await sleep(DRILL_EVALUATION_INTERVAL_MS);
    }
    const atAlert = readingOver(fired, shortWindow);
    report.sli = { ...report.sli, atAlert };
    mark('drill.alert.fired', 'burn-rate', `${alertname}: ${fired.explanation}; ${slo.sli.name} = ${formatValue(atAlert.value, slo.sli.unit)} over ${formatWindow(shortWindow)}`, firedAt);
    say(`alert fired: ${fired.explanation}`);

    // --- Deliver it through the alert route, as Alertmanager would.
    const evidenceUri = pathToFileURL(evidenceFile).href;
    const labels = { alertname, service: key.service, model: alertModel, model_version: scenario.faultyVersion, severity: 'page' };
    const webhook = alertmanagerWebhook({
      status: 'firing',
      labels,
      annotations: {
        summary: `${slo.sli.name} of ${key.service}/${alertModel} is outside its objective (${slo.objective.comparator} ${slo.objective.target} ${slo.sli.unit})`,
        description: `multi-window burn rate: ${fired.explanation}`,
        value: String(atAlert.value ?? ''),
        evidence_uri: evidenceUri,
        drill: `${scenario.name} (game-day drill, burn-rate windows compressed)`,
        ...(slo.runbook_url === undefined ? {} : { runbook_url: slo.runbook_url }),
      },
      startsAt: firedAt,
      generatorURL: `${model.url}/metrics`,
    });
    const observation = parseAlertmanagerWebhook(webhook).observations[0];
    const mapped = observation === undefined ? undefined : matchAlert(policy, observation);
    if (mapped?.slo !== slo.id) notes.push(`the policy maps ${alertname} to ${mapped?.slo ?? 'nothing'}, not ${slo.id}`);
    report.alert = { name: alertname, firedAt: firedAt.toISOString(), explanation: fired.explanation, labels, evidenceUri };
    const delivery = await deliverAlert(target.url, webhook, process.env.FIREBREAK_WEBHOOK_TOKEN);
    report.alert = { ...report.alert, deliveredAt: delivery.sentAt.toISOString(), httpStatus: delivery.status };
    mark('drill.alert.delivered', 'alertmanager', `POST /alerts/alertmanager ${alertname} (firing) → HTTP ${delivery.status} in ${delivery.answeredInMs} ms${delivery.attempts > 1 ? ` (attempt ${delivery.attempts})` : ''}`, delivery.sentAt);
    if (delivery.status !== 202) throw new DrillStop(`Firebreak refused the alert: HTTP ${delivery.status} ${JSON.stringify(delivery.body).slice(0, 300)}`);
    say(`alert delivered to ${target.url}/alerts/alertmanager (HTTP 202)`);

    // --- Watch the incident, approving the rollback when the policy asks a person for it.
    for (;;) {
      checkDeadline('Firebreak to open the incident');
      const listed = await getJson<{ incidents: Incident[] }>(`${target.url}/incidents?active=true`);
      incident = listed.incidents.find((i) => i.key.slo === slo.id && i.key.model === alertModel);
      if (incident !== undefined) break;
      await sleep(POLL_MS);
    }
    incidentId = incident.id;
    say(`incident ${incident.id} opened`);
    let approved = false;
    const seen = new Set<string>();
    for (;;) {
      const shown = await getJson<{ incident: Incident; timeline: TimelineEntry[] }>(`${target.url}/incidents/${encodeURIComponent(incidentId)}`);
      incident = shown.incident;
      timeline = shown.timeline;
      for (const entry of timeline) {
        if (seen.has(entry.id)) continue;
        seen.add(entry.id);
        if (/^(page\.triggered|channel\.opened|action\.|rollback\.|corpus\.|incident\.(mitigated|escalated))/.test(entry.kind)) say(`${entry.kind}: ${entry.message}`);
      }
      if (incident.status === 'mitigated') break;
      const deadEnd = deadEndOf(incident, timeline, scenario);
      if (deadEnd !== undefined) throw new DrillStop(deadEnd);
      if (scenario.responder === 'approve-rollback' && !approved && incident.pendingRollback !== undefined && incident.channel !== undefined) {
        const secret = process.env.SLACK_SIGNING_SECRET;
        if (secret === undefined || secret === '') throw new DrillStop('SLACK_SIGNING_SECRET is not set: the responder cannot sign the slash command');
        const at = new Date();
        const reply = await slashCommand(target.url, secret, { channelId: incident.channel.id, userId: DRILL_RESPONDER, text: 'rollback' });
        approved = true;
        report.responder = { user: DRILL_RESPONDER, command: '/incident rollback', at: at.toISOString(), httpStatus: reply.status, reply: reply.text };
        mark('drill.responder', DRILL_RESPONDER, `/incident rollback in #${incident.channel.name} → HTTP ${reply.status}: ${reply.text}`, at);
        say(`responder ${DRILL_RESPONDER} approved the rollback: ${reply.text}`);
        if (reply.status !== 200) throw new DrillStop(`the signed /incident rollback was answered HTTP ${reply.status}: ${reply.text}`);
      }
      checkDeadline(describeWait(incident, timeline, scenario));
      await sleep(POLL_MS);
    }

    // --- Recovered? Read the SLI independently, over the short window, once it spans only contained traffic.
    const lastAction = [...timeline].reverse().find((e) => e.kind.startsWith('action.') && Date.parse(e.at) <= Date.parse(incident?.mitigatedAt ?? e.at));
    const settledAt = (lastAction === undefined ? Date.now() : Date.parse(lastAction.at)) + SETTLE_MS + shortWindow * 1000;
    if (settledAt > Date.now()) {
      if (settledAt > deadline) throw new DrillStop('timed out before the SLI could be read over a window after containment');
      await sleep(settledAt - Date.now());
    }
    const finalEvaluation = await evaluateSloBurnRate(source, slo, key, { policy: burnPolicy });
    const final = readingOver(finalEvaluation, shortWindow);
    report.sli = { ...report.sli, final, finalBurnRate: finalEvaluation.explanation };
    mark('drill.sli', 'burn-rate', `${slo.sli.name} = ${formatValue(final.value, slo.sli.unit)} over the last ${formatWindow(shortWindow)} (${verdict(final.withinObjective)}); ${finalEvaluation.explanation}`, new Date(final.at));
    if (final.withinObjective !== true) {
      throw new DrillStop(`the incident was marked mitigated, but ${slo.sli.name} over the last ${formatWindow(shortWindow)} is ${formatValue(final.value, slo.sli.unit)} (${verdict(final.withinObjective)})`);
    }
    passed = true;
    reason = `incident ${incidentId} reached mitigated ${seconds(Date.parse(incident.mitigatedAt ?? '') - t0)} after the fault, and ${slo.sli.name} is ${formatValue(final.value, slo.sli.unit)} (${verdict(true)})`;
  } catch (error) {
    reason = error instanceof DrillStop ? error.message : `the drill itself failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  } finally {
    const statusAtVerdict = incident?.status;
    say(passed ? 'drill passed; stopping…' : `drill failed: ${reason}; stopping…`);
    await traffic?.stop();
    source?.stop();
    report.traffic = traffic?.stats();
    if (target !== undefined) {
      // Let the workflows finish what they started (bounded: a drill never hangs on them), then read the record.
      const idle = await within(target.engine.idle(), Math.min(10_000, Math.max(2_000, remaining())));
      if (!idle) notes.push('workflow executions were still running when the drill stopped');
      if (incidentId !== undefined) {
        try {
          const shown = await getJson<{ incident: Incident; timeline: TimelineEntry[] }>(`${target.url}/incidents/${encodeURIComponent(incidentId)}`);
          if (statusAtVerdict !== undefined && shown.incident.status !== statusAtVerdict) {
            notes.push(`after the verdict, while the drill wound down (traffic stopped), the incident went from ${statusAtVerdict} to ${shown.incident.status}: the verdict is about the incident as it was at the end of the drill`);
          }
          incident = { ...shown.incident, status: statusAtVerdict ?? shown.incident.status };
          statusAtEnd = shown.incident.status;
          timeline = shown.timeline;
        } catch (error) {
          notes.push(`the final read of the incident failed: ${(error as Error).message}`);
        }
      }
      report.simulators = simulatorCounts(target);
      try {
        const after = await new DynamoDbModelControlPlane(createDocumentClient(), process.env.TABLE_NAME ?? '').get(DEFAULT_MODEL);
        if (after !== undefined) report.modelAfter = pickState(after);
      } catch (error) {
        notes.push(`the final read of the control state failed: ${(error as Error).message}`);
      }
    }
    await model?.close().catch((error: unknown) => notes.push(`closing the demo model failed: ${(error as Error).message}`));
    await target?.close().catch((error: unknown) => notes.push(`closing the embedded target failed: ${(error as Error).message}`));
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    if (ownDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }

  const lines = [...drillLines, ...timeline.map((e) => ({ t: Date.parse(e.at) - t0, at: e.at, kind: e.kind, actor: e.actor, message: e.message, source: 'incident' as const }))].sort((a, b) => a.at.localeCompare(b.at) || (a.source === b.source ? 0 : a.source === 'drill' ? -1 : 1));
  return {
    ...(report as DrillReport),
    passed,
    exitCode: passed ? 0 : 1,
    reason,
    durationMs: Date.now() - started,
    timeline: Number.isNaN(t0) ? [] : lines,
    timings: timingsOf(t0, report.alert?.deliveredAt, timeline, incident?.status === 'mitigated' ? incident : undefined),
    sli: report.sli ?? {},
    simulators: report.simulators ?? { pagerduty: null, slack: null },
    ...(incident === undefined
      ? {}
      : {
          incident: {
            id: incident.id,
            status: incident.status,
            statusAtEnd: statusAtEnd ?? incident.status,
            severity: incident.severity,
            title: incident.title,
            paged: incident.page?.status === 'triggered' || incident.page?.status === 'acknowledged',
            ...(incident.channel === undefined ? {} : { channel: `#${incident.channel.name} (${incident.channel.id})` }),
            actions: (incident.actions ?? []).map((a) => `${a.action}: ${a.before.activeVersion} → ${a.after.activeVersion}${a.after.killSwitch ? ', kill switch on' : ''}${a.after.safeMode ? ', safe mode on' : ''}${a.after.humanReview ? ', human review on' : ''}`),
          },
        }),
  };
}

/** The alertname the SLO's first Alertmanager matcher names. */
function alertnameOf(slo: Slo): string | undefined {
  for (const matcher of slo.alerts) {
    if (matcher.source === 'alertmanager' && matcher.match?.alertname !== undefined) return matcher.match.alertname;
  }
  return undefined;
}

/** Why the incident can no longer reach mitigated, or undefined while it still can. */
function deadEndOf(incident: Incident, timeline: readonly TimelineEntry[], scenario: DrillScenario): string | undefined {
  if (['resolved', 'closed', 'flapped'].includes(incident.status)) return `the incident ended ${incident.status} without being mitigated`;
  const find = (kind: string): TimelineEntry | undefined => timeline.find((e) => e.kind === kind);
  const impossible = find('containment.impossible');
  if (impossible !== undefined) return `Firebreak could not contain the model: ${impossible.message}`;
  for (const task of ['contain', 'rollback', 'verify-recovery']) {
    const failed = find(`${task}.failed`);
    if (failed !== undefined) return `the ${task} step failed: ${failed.message}`;
  }
  const workflowFailed = find('workflow.failed');
  if (workflowFailed !== undefined) return `a workflow failed: ${workflowFailed.message}`;
  const escalated = find('incident.escalated');
  if (escalated !== undefined) return `recovery was not verified and the incident was escalated: ${escalated.message}`;
  const unverifiable = find('recovery.unverifiable');
  if (unverifiable !== undefined) return `recovery cannot be verified: ${unverifiable.message}`;
  const refused = find('command.refused');
  if (refused !== undefined) return `the responder's command was refused: ${refused.message}`;
  if (scenario.responder === 'approve-rollback') {
    const noRollback = find('rollback.impossible');
    if (noRollback !== undefined) return `the rollback this scenario needs is impossible: ${noRollback.message}`;
  }
  return undefined;
}

/** What the drill is waiting for, for a timeout message. */
function describeWait(incident: Incident, timeline: readonly TimelineEntry[], scenario: DrillScenario): string {
  const has = (prefix: string): boolean => timeline.some((e) => e.kind.startsWith(prefix));
  if (incident.confirmedAt === undefined) return `the breach to be confirmed (incident ${incident.id} ${incident.status})`;
  if (!has('action.') && !has('rollback.requested')) return `containment (incident ${incident.id} ${incident.status}, no action on the model yet)`;
  if (scenario.responder === 'approve-rollback' && incident.pendingRollback !== undefined && incident.channel === undefined) return 'the incident channel, to approve the rollback in';
  const checks = timeline.filter((e) => e.kind === 'recovery.check');
  const last = checks[checks.length - 1];
  if (last === undefined) return `the first recovery check (incident ${incident.id} ${incident.status}; is \`Check Recovery\` in the respond workflow?)`;
  return `recovery to be verified (incident ${incident.id} ${incident.status}; ${checks.length} check(s), last: ${last.message})`;
}

function readingOver(evaluation: SloBurnRateEvaluation, windowSeconds: number): ReportedReading {
  const found = evaluation.readings.find((r) => Math.abs(r.window - windowSeconds) < 1e-6) ?? evaluation.readings[0];
  const reading: SliReading | undefined = found?.reading;
  return {
    value: reading?.value ?? null,
    withinObjective: reading?.withinObjective ?? null,
    windowSeconds: found?.window ?? windowSeconds,
    at: reading?.at ?? new Date().toISOString(),
    ...(reading?.sampleCount === undefined ? {} : { sampleCount: reading.sampleCount }),
  };
}

function timingsOf(t0: number, deliveredAt: string | undefined, timeline: readonly TimelineEntry[], mitigatedIncident: Incident | undefined): DrillReport['timings'] {
  const incident = mitigatedIncident;
  const at = (kind: string | RegExp): number | undefined => {
    const entry = timeline.find((e) => (typeof kind === 'string' ? e.kind === kind : kind.test(e.kind)));
    return entry === undefined ? undefined : Date.parse(entry.at);
  };
  const diff = (from: number | undefined, to: number | undefined): number | null => (from === undefined || to === undefined || Number.isNaN(from) || Number.isNaN(to) ? null : to - from);
  const delivered = deliveredAt === undefined ? undefined : Date.parse(deliveredAt);
  const page = at('page.triggered');
  // Only a mitigation the verdict saw counts (`incident` is undefined otherwise).
  const mitigated = incident === undefined ? undefined : incident.mitigatedAt === undefined ? at('incident.mitigated') : Date.parse(incident.mitigatedAt);
  const actions = timeline.filter((e) => e.kind.startsWith('action.') && (mitigated === undefined || Date.parse(e.at) <= mitigated));
  const lastAction = actions[actions.length - 1];
  return {
    faultToAlertMs: diff(t0, delivered),
    alertToPageMs: diff(delivered, page),
    pageToChannelMs: diff(page, at('channel.opened')),
    faultToContainedMs: diff(t0, lastAction === undefined ? undefined : Date.parse(lastAction.at)),
    faultToMitigatedMs: diff(t0, mitigated),
  };
}

function simulatorCounts(target: EmbeddedTarget): DrillReport['simulators'] {
  const count = (keys: readonly string[]): Record<string, number> => {
    const by: Record<string, number> = {};
    for (const key of keys) by[key] = (by[key] ?? 0) + 1;
    return by;
  };
  const pd = target.simulators.pagerduty?.calls();
  const slack = target.simulators.slack?.calls();
  return {
    pagerduty: pd === undefined ? null : { calls: pd.length, by: count(pd.map((c) => `${c.method} ${c.path.split('?')[0]}`)) },
    slack: slack === undefined ? null : { calls: slack.length, by: count(slack.map((c) => c.method)) },
  };
}

function pickState(state: ModelControlState): NonNullable<DrillReport['modelAfter']> {
  return { activeVersion: state.activeVersion, killSwitch: state.killSwitch, safeMode: state.safeMode, humanReview: state.humanReview, revision: state.revision };
}

function describeState(state: ModelControlState): string {
  return `${state.activeVersion}, kill switch ${state.killSwitch ? 'on' : 'off'}, safe mode ${state.safeMode ? 'on' : 'off'}, human review ${state.humanReview ? 'on' : 'off'}`;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new DrillStop(`GET ${url} answered HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** `0.9995`, `812 ms`, `3`; `no data` for null. */
export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return 'no data';
  const rounded = Number(value.toPrecision(4));
  if (unit === 'ms') return `${Math.round(value)} ms`;
  if (unit === 'count') return String(rounded);
  return String(rounded);
}

function verdict(within: boolean | null): string {
  return within === null ? 'no data' : within ? 'within objective' : 'outside objective';
}

/** `3.2 s`. */
export function seconds(ms: number | null | undefined): string {
  return ms === null || ms === undefined || Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(1)} s`;
}
