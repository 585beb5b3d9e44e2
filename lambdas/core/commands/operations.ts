import { recordRollbackApproval, rejectRollback } from '../containment/rollback-approval';
import { contain, ModelNotControlledError, undoAction, type ActionDeps, type ActionOutcome } from '../containment/actions';
import { IncidentNotFoundError, IncidentVersionConflictError } from '../errors';
import { isActive, transition, type ControlSnapshot, type Incident, type IncidentRoles, type TimelineEntry } from '../incident';
import { ControlNotSupportedError, ControlPlaneConflictError, UnknownModelVersionError, type ModelControlPlane } from '../model-control';
import type { Severity } from '../policy/severity';
import type { Clock, IncidentStore, LifecycleOrigin, WorkflowStart, WorkflowStarter } from '../ports';
import { ACTION_LABELS, COMMAND_USAGE, isCommandParseError, parseIncidentCommand, type ContainmentAction, type IncidentCommand, type UndoableAction } from './parse';
import { describeAllowed, isAllowed, type GroupMembers, type Responders } from './responders';

/** What the incident operations need: the ports, and who the responders are. */
export interface IncidentCommandDeps {
  readonly store: IncidentStore;
  readonly starter: WorkflowStarter;
  readonly clock: Clock;
  readonly responders: Responders;
  readonly groupMembers: GroupMembers;
  /**
   * Where the model's serving configuration changes (`contain`, `undo` and
   * the Undo buttons write to it at once). Absent: those answer that no
   * model control plane is configured and record the attempt; nothing is
   * changed on the model. Rollbacks do not need it here: the `rollback`
   * workflow executes them.
   */
  readonly control?: ModelControlPlane;
}

/** Who ran a command, where, and which request it was. */
export interface CommandContext {
  /** Chat user id of the person. */
  readonly userId: string;
  /** Channel the command was run in: an incident channel or any other. */
  readonly channelId: string;
  /**
   * Unique per request and stable across its retries (Slack's `trigger_id`
   * for commands; `trigger_id` or `action_ts` for buttons). Timeline entry
   * ids derive from it, so a retried request cannot add an entry twice.
   */
  readonly requestId: string;
}

/** Who pressed a button of an incident, and which request it was. */
export interface ActionContext {
  readonly userId: string;
  /** Channel of the message that carried the button, when there is one. */
  readonly channelId?: string;
  readonly requestId: string;
}

/** The answer to the person: only to them (`ephemeral`) or to the channel. */
export interface CommandReply {
  readonly visibility: 'ephemeral' | 'in_channel';
  readonly text: string;
}

/** An Undo button of the pinned summary: `undo_<action>`. */
export type UndoButtonAction = `undo_${UndoableAction}`;

/** The incident buttons of the pinned summary. */
export type IncidentAction = 'acknowledge' | 'approve_rollback' | 'reject_rollback' | 'resolve' | UndoButtonAction;

/** How many times a change is re-read and retried after losing an optimistic-locking race. */
export const MAX_CHANGE_ATTEMPTS = 5;

/** How many entries `timeline` shows. */
export const TIMELINE_LIMIT = 20;

/** How many incidents `list` shows. */
export const LIST_LIMIT = 20;

/** Marks timeline entries written here: their messages hold no alert text and may be shown in chat. */
const SOURCE = 'slack-command';

/**
 * Parses the text of an `/incident` command and runs it: a parse error is an
 * ephemeral explanation of what was expected.
 *
 * @example
 * const reply = await runIncidentCommandText(deps, { userId: 'U1', channelId: 'C1', requestId: trigger_id }, 'sev 1');
 * await ack({ response_type: reply.visibility, text: reply.text });
 */
export async function runIncidentCommandText(deps: IncidentCommandDeps, ctx: CommandContext, text: string): Promise<CommandReply> {
  const parsed = parseIncidentCommand(text);
  if (isCommandParseError(parsed)) return ephemeral(parsed.message);
  return runIncidentCommand(deps, ctx, parsed);
}

/**
 * Runs one `/incident` subcommand for a person in a channel. The incident is
 * the one the channel belongs to; outside an incident channel only `help`
 * and `list` work. Restricted subcommands (`resolve`, `rollback`, `contain`,
 * `sev`, and naming the commander — since the commander may run the others;
 * only the first commander of an incident without configured responders may
 * be named by anyone) are refused, and the refusal recorded, for anyone but
 * the configured responders and the incident commander.
 * Timeline entry ids derive from `ctx.requestId`, so a retried request
 * changes nothing twice. Replies name the incident by id, SLO, service and
 * model only: never alert text.
 *
 * @example
 * const reply = await runIncidentCommand(deps, { userId: 'U1', channelId: 'C1', requestId: '111.222.abc' }, { kind: 'ack' });
 * // => { visibility: 'in_channel', text: '<@U1> acknowledged *inc-20261121-0a1b2c3d* …' }
 */
export async function runIncidentCommand(deps: IncidentCommandDeps, ctx: CommandContext, command: IncidentCommand): Promise<CommandReply> {
  if (command.kind === 'help') return ephemeral(helpText());
  if (command.kind === 'list') return listActive(deps);
  const incident = await deps.store.findByChannel(ctx.channelId);
  if (incident === undefined) {
    return ephemeral(`This is not an incident channel, so \`/incident ${command.kind}\` has nothing to act on. Run it in the incident’s channel; here only \`/incident list\` and \`/incident help\` work.`);
  }
  return guard(incident, () => dispatch(deps, ctx, incident, command));
}

/**
 * Runs the operation behind a button of an incident's pinned summary, with
 * the same checks as the equivalent command: Acknowledge = `ack`, Resolve =
 * `resolve`, Approve rollback = `rollback` (to the version of the pending
 * request if it names one, else the newest known-good version), Undo <action>
 * = `undo <action>`.
 *
 * @example
 * const reply = await runIncidentAction(deps, { userId: 'U1', channelId: 'C1', requestId: body.trigger_id }, 'resolve', action.value);
 * await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: reply.text });
 */
export async function runIncidentAction(deps: IncidentCommandDeps, ctx: ActionContext, action: IncidentAction, incidentId: string): Promise<CommandReply> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) return ephemeral(`There is no incident \`${esc(incidentId)}\`: this button belongs to a message Firebreak no longer knows.`);
  return guard(incident, () => {
    switch (action) {
      case 'acknowledge':
        return acknowledge(deps, ctx, incident);
      case 'resolve':
        return restricted(deps, ctx, incident, 'the Resolve button', 'resolve', () => resolve(deps, ctx, incident, undefined));
      case 'approve_rollback':
        return restricted(deps, ctx, incident, 'the Approve rollback button', 'approve_rollback', () => approveRollback(deps, ctx, incident, incident.pendingRollback?.version));
      case 'reject_rollback':
        return restricted(deps, ctx, incident, 'the Reject rollback button', 'reject_rollback', () => rejectPendingRollback(deps, ctx, incident, undefined));
      case 'undo_kill_switch':
      case 'undo_degrade_to_safe_mode':
      case 'undo_route_to_human_review':
      case 'undo_rollback': {
        const undone = action.slice('undo_'.length) as UndoableAction;
        return restricted(deps, ctx, incident, `the Undo ${ACTION_LABELS[undone]} button`, 'undo', () => undo(deps, ctx, incident, undone), { action: undone });
      }
    }
  });
}

/**
 * The `help` text: every subcommand, and who may run what.
 *
 * @example
 * await ack({ response_type: 'ephemeral', text: helpText() });
 */
export function helpText(): string {
  return [
    '*/incident* — run an incident from its Slack channel',
    ...Object.values(COMMAND_USAGE).map((line) => `• ${line}`),
    'Only the configured responders and the incident commander may run `resolve`, `rollback`, `contain`, `sev` and `undo`, use the Resolve, Approve rollback, Reject rollback and Undo buttons, and name a new commander.',
    '`rollback` (or *Approve rollback*) is the approval: it starts the rollback workflow, which posts its result here. `contain` and `undo` change the model’s control state at once and show before → after.',
    'Outside an incident channel only `list` and `help` work.',
  ].join('\n');
}

async function guard(incident: Incident, run: () => Promise<CommandReply>): Promise<CommandReply> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof IncidentVersionConflictError) {
      return ephemeral(`${name(incident)} kept changing while this ran (${MAX_CHANGE_ATTEMPTS} attempts): nothing was applied. Try again.`);
    }
    throw error;
  }
}

function dispatch(deps: IncidentCommandDeps, ctx: CommandContext, incident: Incident, command: Exclude<IncidentCommand, { kind: 'help' | 'list' }>): Promise<CommandReply> {
  switch (command.kind) {
    case 'status':
      return Promise.resolve(ephemeral(statusText(incident)));
    case 'timeline':
      return timeline(deps, incident);
    case 'ack':
      return acknowledge(deps, ctx, incident);
    case 'mitigated':
      return markMitigated(deps, ctx, incident);
    case 'note':
      return note(deps, ctx, incident, command.text);
    case 'role':
      // Whoever is commander may run restricted commands, so naming one is restricted too — except
      // for the first commander of an incident when no responders are configured: someone must be able to start.
      return command.role === 'commander' && !firstCommanderOpen(deps.responders, incident)
        ? restricted(deps, ctx, incident, '`/incident role commander`', 'role commander', () => assignRole(deps, ctx, incident, command.role, command.userId))
        : assignRole(deps, ctx, incident, command.role, command.userId);
    case 'sev':
      return restricted(deps, ctx, incident, '`/incident sev`', 'sev', () => changeSeverity(deps, ctx, incident, command.severity));
    case 'resolve':
      return restricted(deps, ctx, incident, '`/incident resolve`', 'resolve', () => resolve(deps, ctx, incident, command.reason));
    case 'rollback':
      return restricted(deps, ctx, incident, '`/incident rollback`', 'rollback', () => approveRollback(deps, ctx, incident, command.version));
    case 'reject_rollback':
      return restricted(deps, ctx, incident, '`/incident rollback reject`', 'reject_rollback', () => rejectPendingRollback(deps, ctx, incident, command.reason));
    case 'contain':
      return restricted(deps, ctx, incident, '`/incident contain`', 'contain', () => containNow(deps, ctx, incident, command.action), { action: command.action });
    case 'undo':
      return restricted(deps, ctx, incident, '`/incident undo`', 'undo', () => undo(deps, ctx, incident, command.action), { action: command.action });
  }
}

// ---------------------------------------------------------------- permission

function firstCommanderOpen(responders: Responders, incident: Incident): boolean {
  return responders.users.length === 0 && responders.groups.length === 0 && incident.roles?.commander === undefined;
}

async function restricted(
  deps: IncidentCommandDeps,
  ctx: ActionContext,
  incident: Incident,
  what: string,
  operation: string,
  run: () => Promise<CommandReply>,
  data: Record<string, unknown> = {},
): Promise<CommandReply> {
  if (await isAllowed(ctx.userId, incident, deps.responders, deps.groupMembers)) return run();
  const allowed = describeAllowed(incident, deps.responders);
  await deps.store.appendTimeline([
    entry(ctx, incident, 'command.refused', `${plain(what)} refused: ${ctx.userId} is neither a configured responder nor the incident commander`, deps.clock.now(), { ...data, operation }),
  ]);
  return ephemeral(`You may not use ${what} on ${name(incident)}: only ${allowed} may. Your attempt is recorded on the incident timeline.`);
}

// ---------------------------------------------------------------- lifecycle

/** The outcome of deciding on one version of the incident: a reply, and the change to write, if any. */
interface Decision {
  readonly reply: CommandReply;
  readonly change?: { readonly next: Incident; readonly entries: TimelineEntry[] };
  /** Runs after the change is stored (or, for an already-applied change, instead of it): starts workflows. */
  readonly after?: (stored: Incident) => Promise<string | undefined>;
}

/**
 * Decides on the incident and writes the change, re-reading the incident and
 * deciding again when another writer got there first (optimistic locking).
 * The store appends a change's entries before its conditional write, so a
 * lost race can leave this request's entry behind even when the next
 * decision writes nothing; entry ids derive from the request, so no attempt
 * adds one twice.
 */
async function change(deps: IncidentCommandDeps, first: Incident, decide: (incident: Incident, now: Date) => Decision): Promise<CommandReply> {
  let incident = first;
  for (let attempt = 1; ; attempt += 1) {
    const decision = decide(incident, deps.clock.now());
    try {
      if (decision.change !== undefined) await deps.store.update(decision.change.next, decision.change.entries);
    } catch (error) {
      if (!(error instanceof IncidentVersionConflictError) || attempt >= MAX_CHANGE_ATTEMPTS) throw error;
      const fresh = await deps.store.get(incident.id);
      if (fresh === undefined) throw new IncidentNotFoundError(incident.id, { cause: error });
      incident = fresh;
      continue;
    }
    const warning = decision.after === undefined ? undefined : await decision.after(decision.change?.next ?? incident);
    return warning === undefined ? decision.reply : { visibility: decision.reply.visibility, text: `${decision.reply.text}\n${warning}` };
  }
}

function acknowledge(deps: IncidentCommandDeps, ctx: ActionContext, first: Incident): Promise<CommandReply> {
  const origin = (incident: Incident): LifecycleOrigin => ({ incidentId: incident.id, via: 'slack', by: ctx.userId });
  const startAck = (incident: Incident): Promise<string | undefined> => startWorkflow(deps, ctx, incident, 'acknowledge', () => deps.starter.startAcknowledge(origin(incident)));
  return change(deps, first, (incident, now) => {
    const at = now.toISOString();
    const stamped = (next: Incident): Decision => ({
      reply: inChannel(`<@${ctx.userId}> acknowledged ${label(next)}.`),
      change: { next, entries: [entry(ctx, incident, 'incident.acknowledged', 'Acknowledged from Slack', now, { from: incident.status })] },
      after: startAck,
    });
    if (incident.status === 'open') return stamped({ ...transition(incident, 'acknowledged', now), version: incident.version + 1 });
    // Mitigated before anyone acknowledged (an automatic rollback): acknowledging stops the page, it does not undo the mitigation.
    if (incident.status === 'mitigated' && incident.acknowledgedAt === undefined) return stamped({ ...incident, acknowledgedAt: at, updatedAt: at, version: incident.version + 1 });
    if (incident.status === 'acknowledged' || incident.status === 'mitigated') {
      // Already done (maybe by this very request, retried): nothing to write; make sure the workflow runs (its start is idempotent).
      return { reply: ephemeral(`${name(incident)} is already acknowledged (at ${when(incident.acknowledgedAt)}; status ${incident.status}). Nothing was changed.`), after: startAck };
    }
    return { reply: cannot(incident, 'acknowledged') };
  });
}

function markMitigated(deps: IncidentCommandDeps, ctx: CommandContext, first: Incident): Promise<CommandReply> {
  return change(deps, first, (incident, now) => {
    if (incident.status === 'mitigated') return { reply: ephemeral(`${name(incident)} is already mitigated (at ${when(incident.mitigatedAt)}). Nothing was changed.`) };
    if (incident.status !== 'open' && incident.status !== 'acknowledged') return { reply: cannot(incident, 'marked mitigated') };
    const next = { ...transition(incident, 'mitigated', now), version: incident.version + 1 };
    return {
      reply: inChannel(`<@${ctx.userId}> marked ${label(next)} mitigated.`),
      change: { next, entries: [entry(ctx, incident, 'incident.mitigated', 'Marked mitigated from Slack', now, { from: incident.status })] },
    };
  });
}

function resolve(deps: IncidentCommandDeps, ctx: ActionContext, first: Incident, reason: string | undefined): Promise<CommandReply> {
  const startResolve = (origin: LifecycleOrigin) => (incident: Incident): Promise<string | undefined> =>
    startWorkflow(deps, ctx, incident, 'resolve', () => deps.starter.startResolve(origin));
  return change(deps, first, (incident, now) => {
    if (incident.status === 'resolved') {
      const by = incident.resolution;
      // Already resolved (maybe by this very request, retried): make sure its workflow runs, as whoever resolved it.
      const origin: LifecycleOrigin = { incidentId: incident.id, via: by?.via ?? 'alert', by: by?.by ?? 'firebreak' };
      return {
        reply: ephemeral(`${name(incident)} is already resolved (at ${when(incident.resolvedAt)}${by === undefined ? ', by its alerts' : ` by ${actor(by.by)} via ${by.via}`}). Nothing was changed.`),
        after: startResolve(origin),
      };
    }
    if (!isActive(incident)) return { reply: cannot(incident, 'resolved') };
    const resolution = reason === undefined ? { by: ctx.userId, via: 'slack' as const } : { by: ctx.userId, reason, via: 'slack' as const };
    const next: Incident = { ...transition(incident, 'resolved', now), resolution, version: incident.version + 1 };
    return {
      reply: inChannel(`<@${ctx.userId}> resolved ${label(next)}${reason === undefined ? '' : `: ${esc(reason)}`}. The resolve workflow is started.`),
      change: {
        next,
        entries: [entry(ctx, incident, 'incident.resolved', reason === undefined ? 'Resolved from Slack' : `Resolved from Slack: ${reason}`, now, { from: incident.status, ...(reason === undefined ? {} : { reason }) })],
      },
      after: startResolve({ incidentId: incident.id, via: 'slack', by: ctx.userId }),
    };
  });
}

/**
 * Starts a workflow after its change is stored. A failure is written to the
 * timeline and told to the person; running the command again retries the
 * start (starts are idempotent: execution names derive from the incident).
 */
async function startWorkflow(
  deps: IncidentCommandDeps,
  ctx: ActionContext,
  incident: Incident,
  workflow: 'acknowledge' | 'resolve' | 'rollback',
  start: () => Promise<WorkflowStart>,
  retry = 'Run the command again to retry.',
): Promise<string | undefined> {
  try {
    await start();
    return undefined;
  } catch (error) {
    const errorName = error instanceof Error ? error.name : 'Error';
    await deps.store.appendTimeline([
      entry(ctx, incident, 'workflow.start_failed', `Starting the ${workflow} workflow failed (${errorName})`, deps.clock.now(), { workflow, error: errorName }),
    ]);
    return `:warning: The change is recorded, but starting the ${workflow} workflow failed (${errorName}). ${retry}`;
  }
}

// ---------------------------------------------------------------- other changes

function changeSeverity(deps: IncidentCommandDeps, ctx: CommandContext, first: Incident, severity: Severity): Promise<CommandReply> {
  return change(deps, first, (incident, now) => {
    if (incident.status === 'closed' || incident.status === 'flapped') return { reply: ephemeral(`${name(incident)} is ${incident.status}: its severity can no longer change. Nothing was changed.`) };
    if (incident.severity === severity) return { reply: ephemeral(`${name(incident)} is already ${sev(severity)}. Nothing was changed.`) };
    const next: Incident = { ...incident, severity, updatedAt: now.toISOString(), version: incident.version + 1 };
    return {
      reply: inChannel(`<@${ctx.userId}> changed the severity of ${name(incident)} from ${sev(incident.severity)} to ${sev(severity)}.`),
      change: { next, entries: [entry(ctx, incident, 'severity.changed', `Severity changed from ${sev(incident.severity)} to ${sev(severity)}`, now, { from: incident.severity, to: severity })] },
    };
  });
}

function assignRole(deps: IncidentCommandDeps, ctx: CommandContext, first: Incident, role: keyof IncidentRoles, userId: string): Promise<CommandReply> {
  return change(deps, first, (incident, now) => {
    const previous = incident.roles?.[role];
    if (previous === userId) return { reply: ephemeral(`<@${userId}> is already the ${role} of ${name(incident)}. Nothing was changed.`) };
    const next: Incident = { ...incident, roles: { ...incident.roles, [role]: userId }, updatedAt: now.toISOString(), version: incident.version + 1 };
    return {
      reply: inChannel(`<@${ctx.userId}> made <@${userId}> the ${role} of ${name(incident)}${previous === undefined ? '' : ` (was <@${previous}>)`}.`),
      change: { next, entries: [entry(ctx, incident, 'role.assigned', `${userId} is now the ${role}`, now, { role, userId, ...(previous === undefined ? {} : { previous }) })] },
    };
  });
}

async function note(deps: IncidentCommandDeps, ctx: CommandContext, incident: Incident, text: string): Promise<CommandReply> {
  await deps.store.appendTimeline([entry(ctx, incident, 'note', text, deps.clock.now())]);
  return ephemeral(`Added your note to the timeline of ${name(incident)}.`);
}

// ---------------------------------------------------------------- actions on the model

/** How replies name what a containment action switches on. */
const SWITCH_PHRASE: Readonly<Record<ContainmentAction, string>> = {
  kill_switch: 'the kill switch',
  degrade_to_safe_mode: 'safe mode',
  route_to_human_review: 'human-review routing',
};

/**
 * The approval of a rollback (`/incident rollback [version]` or the Approve
 * rollback button): records `rollback.approved` (the person as actor) and
 * starts the `rollback` workflow, which serves `version` — or the newest
 * known-good version older than the breached one — and posts its result in
 * the incident thread. The execution name derives from the request, so a
 * retried request starts it once. Active incidents only.
 */
async function approveRollback(deps: IncidentCommandDeps, ctx: ActionContext, incident: Incident, version: string | undefined): Promise<CommandReply> {
  if (!isActive(incident)) return cannot(incident, 'rolled back');
  const target = version === undefined ? 'the newest known-good version' : `version \`${esc(version)}\``;
  if (incident.pendingRollback !== undefined) await recordRollbackApproval(deps, incident.id, ctx.userId);
  await deps.store.appendTimeline([
    entry(ctx, incident, 'rollback.approved', `Rollback to ${version ?? 'the newest known-good version'} approved; rollback workflow started`, deps.clock.now(), {
      workflow: 'rollback',
      ...(version === undefined ? {} : { version }),
    }),
  ]);
  const warning = await startWorkflow(
    deps,
    ctx,
    incident,
    'rollback',
    () => deps.starter.startRollback({ incidentId: incident.id, via: 'slack', by: ctx.userId, requestId: ctx.requestId, ...(version === undefined ? {} : { version }) }),
    'Approve again (`/incident rollback` or the Approve rollback button) to retry.',
  );
  const text =
    `<@${ctx.userId}> approved the rollback of model \`${esc(incident.key.model)}\` to ${target} for ${name(incident)}. ` +
    'The rollback workflow is started; it posts the result in the incident thread.';
  return inChannel(warning === undefined ? text : `${text}\n${warning}`);
}

/** `/incident contain <action>`: turns the switch on now (one conditional write to the control plane). */
function containNow(deps: IncidentCommandDeps, ctx: CommandContext, incident: Incident, action: ContainmentAction): Promise<CommandReply> {
  if (!isActive(incident)) return Promise.resolve(cannot(incident, `contained (${action})`));
  return onModel(deps, ctx, incident, action, `turn ${SWITCH_PHRASE[action]} on`, async (actionDeps) => {
    const outcome = await contain(actionDeps, incident.id, action, ctx.userId);
    const model = `model \`${esc(incident.key.model)}\``;
    if (!outcome.changed) {
      return ephemeral(`${cap(SWITCH_PHRASE[action])} was already on for ${model} (${name(incident)}): nothing changed${outcome.after === undefined ? '' : ` (${state(outcome.after)})`}.`);
    }
    return inChannel(
      `<@${ctx.userId}> turned ${SWITCH_PHRASE[action]} on for ${model} (${name(incident)}): ${beforeAfter(outcome)}. ` +
        `Undo with \`/incident undo ${action}\` or the *Undo ${ACTION_LABELS[action]}* button on the pinned summary.`,
    );
  });
}

/**
 * `/incident undo <action>` and the Undo buttons: switches the action off
 * again, or for a rollback serves the version from before it. Works in any
 * status (a kill switch left on after the incident is resolved must still
 * be undoable).
 */
function undo(deps: IncidentCommandDeps, ctx: ActionContext, incident: Incident, action: UndoableAction): Promise<CommandReply> {
  return onModel(deps, ctx, incident, action, `undo ${action === 'rollback' ? 'the rollback' : SWITCH_PHRASE[action]}`, async (actionDeps) => {
    const outcome = await undoAction(actionDeps, incident.id, action, ctx.userId);
    const model = `model \`${esc(incident.key.model)}\``;
    if (outcome.before === undefined || outcome.after === undefined) {
      const current = await deps.store.get(incident.id);
      const open = (current?.actions ?? []).filter((a) => a.undoneAt === undefined).map((a) => `\`${a.action}\``);
      return ephemeral(
        `Nothing was undone: ${ACTION_LABELS[action]} was not taken in ${name(incident)}, or is undone already. ` +
          (open.length === 0 ? 'No action of this incident is waiting for an undo.' : `Actions that can be undone: ${[...new Set(open)].join(', ')}.`),
      );
    }
    if (!outcome.changed) {
      return inChannel(`<@${ctx.userId}> marked ${ACTION_LABELS[action]} undone for ${model} (${name(incident)}): the control plane already had it undone, so nothing changed (${state(outcome.after)}).`);
    }
    return inChannel(`<@${ctx.userId}> undid ${ACTION_LABELS[action]} for ${model} (${name(incident)}): ${beforeAfter(outcome)}.`);
  });
}

/**
 * Runs an action on the model through the control plane, explaining (and
 * recording) why it could not run: no control plane configured, a model
 * the control plane does not know, a backend that cannot do it, an unknown
 * version, or a control state that kept changing. In each of these cases
 * nothing was changed on the model.
 */
async function onModel(deps: IncidentCommandDeps, ctx: ActionContext, incident: Incident, action: UndoableAction, what: string, run: (actionDeps: ActionDeps) => Promise<CommandReply>): Promise<CommandReply> {
  const model = `model \`${esc(incident.key.model)}\``;
  const impossible = async (kind: string, why: string, data: Record<string, unknown>): Promise<CommandReply> => {
    await deps.store.appendTimeline([entry(ctx, incident, kind, `Could not ${what} for ${incident.key.model}: ${plain(why)}`, deps.clock.now(), { action, ...data })]);
    return ephemeral(`Firebreak could not ${what} for ${model} (${name(incident)}): ${why}. Nothing was changed on the model; this is recorded on the incident timeline.`);
  };
  if (deps.control === undefined) {
    return impossible('containment.unavailable', 'no model control plane is configured for Firebreak’s Slack app (set `FIREBREAK_CONTROL_PLANE`, or `TABLE_NAME` for the embedded one). Apply it by hand if it cannot wait', {});
  }
  try {
    return await run({ store: deps.store, clock: deps.clock, control: deps.control });
  } catch (error) {
    const data = { error: error instanceof Error ? error.name : 'Error' };
    if (error instanceof ModelNotControlledError) return impossible('containment.impossible', `the model control plane does not know ${model}, so Firebreak cannot act on it. Apply it by hand`, data);
    if (error instanceof ControlNotSupportedError) return impossible('containment.impossible', `the model’s control plane cannot do that (${esc(error.message)})`, data);
    if (error instanceof UnknownModelVersionError) return impossible('containment.impossible', `${model} has no version \`${esc(error.version)}\` any more`, data);
    if (error instanceof ControlPlaneConflictError) return impossible('containment.impossible', 'its control state kept changing while this ran. Try again', data);
    if (error instanceof IncidentVersionConflictError) {
      // The control plane was written first: the model may well have changed, only recording it on the incident failed.
      return ephemeral(`:warning: ${name(incident)} kept changing while Firebreak recorded this: the control state of ${model} may have changed without being recorded. Check it before trying again.`);
    }
    throw error;
  }
}

/** `kill switch off → on (serving `v3`, revision 4 → 5)`: the fields an action changed. */
function beforeAfter(outcome: ActionOutcome): string {
  const { before, after } = outcome;
  if (before === undefined || after === undefined) return esc(outcome.detail);
  const onOff = (value: boolean): string => (value ? 'on' : 'off');
  const changed = [
    before.activeVersion === after.activeVersion ? undefined : `version \`${esc(before.activeVersion)}\` → \`${esc(after.activeVersion)}\``,
    before.killSwitch === after.killSwitch ? undefined : `kill switch ${onOff(before.killSwitch)} → ${onOff(after.killSwitch)}`,
    before.safeMode === after.safeMode ? undefined : `safe mode ${onOff(before.safeMode)} → ${onOff(after.safeMode)}`,
    before.humanReview === after.humanReview ? undefined : `human review ${onOff(before.humanReview)} → ${onOff(after.humanReview)}`,
  ].filter((part): part is string => part !== undefined);
  const serving = before.activeVersion === after.activeVersion ? `serving \`${esc(after.activeVersion)}\`, ` : '';
  return `${changed.length === 0 ? 'no field changed' : changed.join(', ')} (${serving}revision ${before.revision} → ${after.revision})`;
}

/** A control state in one line, for replies. */
function state(s: ControlSnapshot): string {
  const onOff = (value: boolean): string => (value ? 'on' : 'off');
  return `serving \`${esc(s.activeVersion)}\`, kill switch ${onOff(s.killSwitch)}, safe mode ${onOff(s.safeMode)}, human review ${onOff(s.humanReview)}`;
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------- reads

async function listActive(deps: IncidentCommandDeps): Promise<CommandReply> {
  const incidents = await deps.store.listActive();
  if (incidents.length === 0) return ephemeral('No active incidents.');
  const lines = incidents.slice(0, LIST_LIMIT).map((i) => `• ${label(i)} · ${i.status} · opened ${when(i.openedAt)}${i.channel === undefined ? '' : ` · <#${i.channel.id}>`}`);
  if (incidents.length > LIST_LIMIT) lines.push(`…and ${incidents.length - LIST_LIMIT} more.`);
  return ephemeral([`*Active incidents (${incidents.length})*`, ...lines].join('\n'));
}

function statusText(incident: Incident): string {
  const alerts = Object.values(incident.alerts);
  const firing = alerts.filter((a) => a.status === 'firing').length;
  const roles = incident.roles ?? {};
  const role = (r: keyof IncidentRoles): string => (roles[r] === undefined ? '—' : `<@${roles[r]}>`);
  const stamps = (
    [
      ['opened', incident.openedAt],
      ['acknowledged', incident.acknowledgedAt],
      ['mitigated', incident.mitigatedAt],
      ['resolved', incident.resolvedAt],
      ['closed', incident.closedAt],
    ] as const
  )
    .filter(([, at]) => at !== undefined)
    .map(([what, at]) => `${what} ${when(at)}`);
  const lines = [
    `*${incident.id}* — ${incident.status} · ${sev(incident.severity)}`,
    `SLO \`${esc(incident.key.slo)}\` on service \`${esc(incident.key.service)}\`, model \`${esc(incident.key.model)}\`${incident.mapped ? '' : ' (unmapped alert: default policy)'}`,
    stamps.join(' · '),
    `Alerts: ${firing} firing, ${alerts.length - firing} resolved (${incident.signalCount} signals)`,
    `Page: ${incident.page === undefined ? 'none yet' : incident.page.status}`,
    `Roles: commander ${role('commander')}, scribe ${role('scribe')}, comms ${role('comms')}`,
  ];
  const actions = incident.actions ?? [];
  if (actions.length > 0) {
    const described = actions.map((a) => `${ACTION_LABELS[a.action]} by ${actor(a.by)} at ${when(a.at)}${a.undoneAt === undefined ? '' : ` (undone by ${actor(a.undoneBy ?? 'unknown')} at ${when(a.undoneAt)})`}`);
    lines.push(`Actions: ${described.join(' · ')}`);
  }
  if (incident.pendingRollback !== undefined) {
    const p = incident.pendingRollback;
    lines.push(`Rollback${p.version === undefined ? '' : ` to \`${esc(p.version)}\``} waiting for approval since ${when(p.requestedAt)}`);
  }
  if (incident.resolution !== undefined) {
    const r = incident.resolution;
    lines.push(`Resolved by ${actor(r.by)} via ${r.via}${r.reason === undefined ? '' : `: ${esc(r.reason)}`}`);
  }
  return lines.join('\n');
}

async function timeline(deps: IncidentCommandDeps, incident: Incident): Promise<CommandReply> {
  const entries = await deps.store.timeline(incident.id);
  if (entries.length === 0) return ephemeral(`${name(incident)} has no timeline entries yet.`);
  const shown = entries.slice(-TIMELINE_LIMIT);
  const header = entries.length > shown.length ? `*Timeline of ${incident.id}* (last ${shown.length} of ${entries.length})` : `*Timeline of ${incident.id}*`;
  return ephemeral([header, ...shown.map(timelineLine)].join('\n'));
}

/**
 * One timeline line. Only entries written by these commands and by the
 * model actions (`action.*`, `rollback.impossible`: model, versions,
 * switches and who) show their message, which holds no alert text; others
 * show kind and actor only, because alert entries carry alert summaries and
 * text from the alert source.
 */
function timelineLine(e: TimelineEntry): string {
  const base = `• ${when(e.at)} · \`${esc(e.kind)}\` · ${actor(e.actor)}`;
  const shown = e.data?.source === SOURCE || (e.actor === 'firebreak' && (e.kind.startsWith('action.') || e.kind === 'rollback.impossible'));
  return shown ? `${base} — ${esc(e.message)}` : base;
}

// ---------------------------------------------------------------- helpers

function entry(ctx: ActionContext, incident: Incident, kind: string, message: string, at: Date, data: Record<string, unknown> = {}): TimelineEntry {
  return {
    incidentId: incident.id,
    id: `slack:${ctx.requestId}:${kind}`,
    at: at.toISOString(),
    kind,
    actor: ctx.userId,
    message,
    data: { source: SOURCE, requestId: ctx.requestId, ...data },
  };
}

function ephemeral(text: string): CommandReply {
  return { visibility: 'ephemeral', text };
}

function inChannel(text: string): CommandReply {
  return { visibility: 'in_channel', text };
}

function cannot(incident: Incident, what: string): CommandReply {
  return ephemeral(`${name(incident)} is ${incident.status}: it cannot be ${what}. Nothing was changed.`);
}

function name(incident: Incident): string {
  return `*${incident.id}*`;
}

/** The incident by id, severity, SLO, service and model: what a reply may say about it. */
function label(incident: Incident): string {
  return `*${incident.id}* (${sev(incident.severity)} · \`${esc(incident.key.slo)}\` on \`${esc(incident.key.service)}\` / \`${esc(incident.key.model)}\`)`;
}

function sev(severity: Severity): string {
  return severity.toUpperCase();
}

function when(iso: string | undefined): string {
  return iso === undefined ? 'unknown time' : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function actor(who: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(who) ? `<@${who}>` : esc(who);
}

/** Slack mrkdwn control characters escaped, as Slack asks for text it should not interpret. */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A label without mrkdwn backticks, for timeline messages. */
function plain(text: string): string {
  return text.replace(/`/g, '');
}

/**
 * `/incident rollback reject [reason]` and the Reject rollback button: the
 * rollback waiting for approval is not run. Recorded (`rollback.rejected`,
 * the person as actor); containment stays and `respond` verifies recovery
 * on it once the approval deadline passes.
 */
async function rejectPendingRollback(deps: IncidentCommandDeps, ctx: ActionContext, incident: Incident, reason: string | undefined): Promise<CommandReply> {
  if (!isActive(incident)) return cannot(incident, 'changed (rollback rejection)');
  const { rejected } = await rejectRollback(deps, incident.id, ctx.userId, reason);
  if (!rejected) return ephemeral(`No rollback of ${name(incident)} is waiting for approval: there is nothing to reject.`);
  return inChannel(
    `<@${ctx.userId}> rejected the rollback of model \`${esc(incident.key.model)}\` for ${name(incident)}${reason === undefined ? '' : `: ${esc(reason)}`}. ` +
      'Containment stays as it is; `/incident rollback` still rolls back.',
  );
}
