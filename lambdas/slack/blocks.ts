import { ACTION_LABELS, type UndoableAction } from '../core/commands/parse';
import { isActive, type Incident, type IncidentStatus } from '../core/incident';

/*
 * Block Kit rendering of an incident's pinned summary. Pure: no Slack client.
 *
 * What may appear: the SLO, service and model names, ids, statuses, numbers,
 * timestamps, Slack user ids and the caller's links. What never appears: the
 * incident title, alert summaries, annotations or labels — alert text can
 * quote the prompts that caused the breach, and harmful prompt text must not
 * reach Slack (DESIGN.md, reliability rules). Everything that is shown is
 * escaped for mrkdwn and cut to Block Kit's limits (header text 150, section
 * field 2000, button text 75, action_id 255, value 2000 characters).
 */

/**
 * `action_id`s of the summary's buttons; interaction listeners match on them.
 * Every button's `value` is the incident id. Existing ids never change
 * (messages already posted carry them).
 *
 * @example
 * app.action(ACTION_IDS.resolve, resolveButton);
 */
export const ACTION_IDS = {
  acknowledge: 'incident_acknowledge',
  approveRollback: 'incident_approve_rollback',
  rejectRollback: 'incident_reject_rollback',
  resolve: 'incident_resolve',
  undoKillSwitch: 'incident_undo_kill_switch',
  undoSafeMode: 'incident_undo_degrade_to_safe_mode',
  undoHumanReview: 'incident_undo_route_to_human_review',
  undoRollback: 'incident_undo_rollback',
} as const;

/** One of the summary's button `action_id`s. */
export type IncidentActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

/**
 * The `action_id` of the Undo button of each action (`incident_undo_<action>`).
 *
 * @example
 * UNDO_ACTION_IDS.kill_switch // => 'incident_undo_kill_switch'
 */
export const UNDO_ACTION_IDS: Readonly<Record<UndoableAction, IncidentActionId>> = {
  kill_switch: ACTION_IDS.undoKillSwitch,
  degrade_to_safe_mode: ACTION_IDS.undoSafeMode,
  route_to_human_review: ACTION_IDS.undoHumanReview,
  rollback: ACTION_IDS.undoRollback,
};

/** What each Undo button's confirmation says it does. */
const UNDO_EFFECT: Readonly<Record<UndoableAction, string>> = {
  kill_switch: 'Turn the kill switch off again: the model serves requests again.',
  degrade_to_safe_mode: 'Turn safe mode off again: the model serves with its normal configuration.',
  route_to_human_review: 'Stop holding responses for human review.',
  rollback: 'Serve the version that was active before the rollback again.',
};

/** Facts about the breach and links that are not on the incident record. */
export interface SummaryExtras {
  /** The value that breached (falls back to `incident.observedValue`). */
  readonly observedValue?: number;
  /** The SLO objective as the policy states it, e.g. `>= 0.999`. */
  readonly objective?: string;
  /** The model version (falls back to `incident.modelVersion`). */
  readonly modelVersion?: string;
  /**
   * Actions taken so far, as policy action names (`degrade_to_safe_mode`, `rollback to v41`…).
   * @default the actions on the incident record (`incident.actions`)
   */
  readonly actions?: readonly string[];
  readonly links?: {
    readonly incidentUrl?: string;
    readonly runbookUrl?: string;
    readonly pagerDutyUrl?: string;
  };
}

/** One Block Kit block (a JSON object with a `type`); assignable to `@slack/web-api`'s block types. */
export interface SlackBlock {
  readonly type: string;
  readonly block_id?: string;
  readonly [field: string]: unknown;
}

/** A message body for `chat.postMessage` / `chat.update`: notification text plus blocks. */
export interface SummaryMessage {
  /** Fallback text for notifications and screen readers (no prompt text either). */
  readonly text: string;
  readonly blocks: SlackBlock[];
}

const STATUS_LABEL: Record<IncidentStatus, string> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  mitigated: 'Mitigated',
  resolved: 'Resolved',
  closed: 'Closed',
  flapped: 'Flapped (cleared before paging)',
};

const STATUS_EMOJI: Record<IncidentStatus, string> = {
  open: ':rotating_light:',
  acknowledged: ':eyes:',
  mitigated: ':large_yellow_circle:',
  resolved: ':white_check_mark:',
  closed: ':white_check_mark:',
  flapped: ':white_circle:',
};

const MAX_ACTIONS_LISTED = 10;

/**
 * The pinned summary of an incident: a header with severity and SLO; fields
 * for status, severity, SLO with observed value vs objective, service, model
 * and version, breach start and opening time, page status, roles and the
 * incident id; the actions taken; links; while the incident is active, the
 * buttons Acknowledge, Approve rollback and Resolve; and for each action on
 * the model that is not undone yet (`incident.actions`), whatever the status
 * (a kill switch left on after resolution must stay undoable), an actions
 * block with its *Undo <action>* button (`UNDO_ACTION_IDS`). Every button's
 * `value` is `incident.id`.
 *
 * Never renders the incident title or any alert text (they may quote prompts).
 *
 * @example
 * const { text, blocks } = incidentSummaryBlocks(incident, {
 *   objective: '>= 0.999',
 *   observedValue: 0.971,
 *   actions: ['degrade_to_safe_mode'],
 *   links: { runbookUrl: 'https://runbooks.example.com/refusal-rate' },
 * });
 * await client.chat.postMessage({ channel, text, blocks });
 */
export function incidentSummaryBlocks(incident: Incident, extras: SummaryExtras = {}): SummaryMessage {
  const { slo, service, model } = incident.key;
  const sev = incident.severity.toUpperCase();
  const observedValue = extras.observedValue ?? incident.observedValue;
  const modelVersion = extras.modelVersion ?? incident.modelVersion;

  const state = incident.status === 'open' ? '' : ` (${incident.status})`;
  const header = `${STATUS_EMOJI[incident.status]} ${sev} · SLO ${plain(slo, 100)} breached${state}`;
  const sloLines = [`*SLO*`, code(slo)];
  if (observedValue !== undefined || extras.objective !== undefined) {
    sloLines.push(`observed ${observedValue === undefined ? 'n/a' : formatNumber(observedValue)} vs objective ${extras.objective === undefined ? 'n/a' : mrkdwn(extras.objective, 100)}`);
  }
  if (!incident.mapped) sloLines.push('_unmapped alert: default policy_');

  const fields = [
    `*Status*\n${STATUS_LABEL[incident.status]}`,
    `*Severity*\n${sev}`,
    sloLines.join('\n'),
    `*Service*\n${code(service)}`,
    `*Model*\n${code(model)}${modelVersion === undefined ? '' : ` version ${code(modelVersion)}`}`,
    `*Breach started*\n${formatTime(incident.breachStartedAt)}\nopened ${formatTime(incident.openedAt)}`,
    `*Page*\n${pageStatus(incident)}`,
    `*Roles*\n${roles(incident)}`,
    `*Incident*\n${code(incident.id)}`,
  ].map((text) => ({ type: 'mrkdwn', text: text.slice(0, 2000) }));

  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: header.slice(0, 150), emoji: true } },
    { type: 'section', fields },
    { type: 'section', text: { type: 'mrkdwn', text: actionsTaken(extras.actions ?? recordedActions(incident)) } },
  ];

  const links = linkLine(extras.links);
  if (links !== undefined) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links }] });

  if (isActive(incident)) {
    blocks.push({
      type: 'actions',
      elements: [
        button('Acknowledge', ACTION_IDS.acknowledge, incident.id),
        button('Approve rollback', ACTION_IDS.approveRollback, incident.id, 'danger', {
          title: 'Approve rollback?',
          text: `Roll ${model} back to its last known-good version for incident ${incident.id}.`,
          confirm: 'Approve rollback',
        }),
        ...(incident.pendingRollback === undefined
          ? []
          : [
              button('Reject rollback', ACTION_IDS.rejectRollback, incident.id, undefined, {
                title: 'Reject rollback?',
                text: `Do not roll ${model} back for incident ${incident.id}: containment stays as it is.`,
                confirm: 'Reject rollback',
              }),
            ]),
        button('Resolve', ACTION_IDS.resolve, incident.id, 'primary', {
          title: 'Resolve incident?',
          text: `Mark incident ${incident.id} resolved and resolve its page.`,
          confirm: 'Resolve',
        }),
      ],
    });
  }
  for (const action of undoable(incident)) {
    blocks.push({
      type: 'actions',
      block_id: `undo_${action}`,
      elements: [
        button(`Undo ${ACTION_LABELS[action]}`, UNDO_ACTION_IDS[action], incident.id, undefined, {
          title: `Undo ${ACTION_LABELS[action].toLowerCase()}?`,
          text: `${UNDO_EFFECT[action]} Model ${plain(model, 100)}, incident ${incident.id}.`,
          confirm: `Undo ${ACTION_LABELS[action].toLowerCase()}`,
        }),
      ],
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Firebreak · ${code(incident.id)} · updated ${formatTime(incident.updatedAt)}` }],
  });

  const text =
    `[${sev}] SLO ${plain(slo, 100)} breached on ${plain(service, 100)} (model ${plain(model, 100)})` +
    ` · ${STATUS_LABEL[incident.status].toLowerCase()} · ${incident.id}`;
  return { text, blocks };
}

/**
 * The channel topic: severity, SLO, service, model and incident id, plain text
 * (Slack topics are not formatted), at most 250 characters (Slack's limit).
 *
 * @example
 * topicFor(incident) // => 'SEV2 | SLO adversarial-refusal-rate breached | support-bot / support-llm | inc-20261121-5f2a9c1e'
 */
export function topicFor(incident: Incident): string {
  const { slo, service, model } = incident.key;
  const topic = `${incident.severity.toUpperCase()} | SLO ${plain(slo, 80)} breached | ${plain(service, 60)} / ${plain(model, 60)} | ${incident.id}`;
  return topic.slice(0, 250);
}

/** A Block Kit button; `confirm` adds a confirmation dialog. */
function button(
  label: string,
  actionId: IncidentActionId,
  value: string,
  style?: 'primary' | 'danger',
  confirm?: { title: string; text: string; confirm: string },
): object {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: label, emoji: false },
    value,
    ...(style === undefined ? {} : { style }),
    ...(confirm === undefined
      ? {}
      : {
          confirm: {
            title: { type: 'plain_text', text: confirm.title.slice(0, 100) },
            text: { type: 'plain_text', text: confirm.text.slice(0, 300) },
            confirm: { type: 'plain_text', text: confirm.confirm.slice(0, 30) },
            deny: { type: 'plain_text', text: 'Cancel' },
            ...(style === 'danger' ? { style: 'danger' } : {}),
          },
        }),
  };
}

/** Actions on the model not undone yet, one per kind, in the order they were taken. */
function undoable(incident: Incident): UndoableAction[] {
  return [...new Set((incident.actions ?? []).filter((a) => a.undoneAt === undefined).map((a) => a.action))];
}

/** The incident's recorded actions as summary lines: what, which version, and whether it was undone. */
function recordedActions(incident: Incident): string[] | undefined {
  const actions = incident.actions ?? [];
  if (actions.length === 0) return undefined;
  return actions.map((a) => {
    const what = a.action === 'rollback' ? `rollback ${a.before.activeVersion} → ${a.after.activeVersion}` : a.action;
    return `${what} at ${formatTime(a.at)}${a.undoneAt === undefined ? '' : ` (undone at ${formatTime(a.undoneAt)})`}`;
  });
}

function pageStatus(incident: Incident): string {
  const page = incident.page;
  if (page === undefined) return 'not paged yet';
  const attempts = `${page.attempts} attempt${page.attempts === 1 ? '' : 's'}`;
  const at = page.triggeredAt === undefined ? '' : ` at ${formatTime(page.triggeredAt)}`;
  return `${page.status}${at} (${attempts})`;
}

function roles(incident: Incident): string {
  const r = incident.roles ?? {};
  return [
    `Commander ${mention(r.commander)}`,
    `Scribe ${mention(r.scribe)}`,
    `Comms ${mention(r.comms)}`,
  ].join('\n');
}

/** `<@U123>` for a Slack user id; anything else is shown escaped; `—` when unset. */
function mention(userId: string | undefined): string {
  if (userId === undefined || userId === '') return '—';
  return /^[UW][A-Z0-9]{2,20}$/.test(userId) ? `<@${userId}>` : mrkdwn(userId, 40);
}

function actionsTaken(actions: readonly string[] | undefined): string {
  if (actions === undefined || actions.length === 0) return '*Actions taken*\n_none yet_';
  const listed = actions.slice(0, MAX_ACTIONS_LISTED).map((a) => `• ${mrkdwn(a, 200)}`);
  if (actions.length > MAX_ACTIONS_LISTED) listed.push(`• _and ${actions.length - MAX_ACTIONS_LISTED} more_`);
  return `*Actions taken*\n${listed.join('\n')}`;
}

function linkLine(links: SummaryExtras['links']): string | undefined {
  if (links === undefined) return undefined;
  const parts = [
    link(links.incidentUrl, 'Incident'),
    link(links.runbookUrl, 'Runbook'),
    link(links.pagerDutyUrl, 'PagerDuty'),
  ].filter((p): p is string => p !== undefined);
  return parts.length === 0 ? undefined : parts.join(' · ');
}

/** `<url|label>` for an http(s) URL that cannot break out of Slack's link syntax. */
function link(url: string | undefined, label: string): string | undefined {
  if (url === undefined || url.length > 3000) return undefined;
  if (!/^https?:\/\/[^\s<>|]+$/.test(url)) return undefined;
  return `<${url.replace(/&/g, '&amp;')}|${label}>`;
}

/** Escapes Slack's mrkdwn control characters and cuts to `max` characters. */
function mrkdwn(value: string, max: number): string {
  return escape(plain(value, max));
}

/** An identifier in inline code (escaped; backticks removed so it cannot close the span). */
function code(value: string): string {
  return `\`${escape(plain(value, 100).replace(/`/g, "'"))}\``;
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One line, no control characters, at most `max` characters (with an ellipsis when cut). */
function plain(value: string, max: number): string {
  const line = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** `2026-11-21 10:00:00 UTC` from an ISO timestamp (the input unchanged if it is not one). */
function formatTime(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return match === null ? plain(iso, 40) : `${match[1]} ${match[2]} UTC`;
}
