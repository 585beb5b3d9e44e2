/**
 * The sections that say how the incident was handled: Containment and
 * resolution, the Timeline (phases, measured durations, entries) and the
 * Responders.
 */
import { formatSeconds, isPerson } from './facts';
import { code, utc, who } from './markdown-text';
import { ask, section, type Section } from './section';
import { ACTION_WORDS, type DraftContext } from './section-context';

/** Most timeline entries written; the rest are counted. */
const MAX_EVENTS = 200;

/** Timeline kinds listed under Containment and resolution. */
const NOTABLE = new Set(['containment.impossible', 'containment.unavailable', 'rollback.requested', 'rollback.approved', 'rollback.impossible', 'recovery.unverifiable', 'incident.escalated', 'page.failed', 'page.rejected', 'channel.invite-failed', 'workflow.start_failed']);

/** Containment and resolution: the actions (before → after, undos), notable events, recovery checks, mitigation, resolution and what is still in effect. */
export function containment(ctx: DraftContext): Section {
  const { incident } = ctx.input;
  const { actions, stillInEffect, timeline } = ctx.facts;
  const blocks: string[] = [];
  if (actions.length > 0) {
    blocks.push(
      [
        '| Time (UTC) | Action | By | Before → after | Undone |',
        '|---|---|---|---|---|',
        ...actions.map(
          (a) =>
            `| ${utc(a.at)} | ${a.action} on ${code(a.model)} | ${who(a.by)} | ${a.changes.length === 0 ? 'no change' : a.changes.join('; ')} (revision ${a.before.revision} → ${a.after.revision}) | ${a.undoneAt === undefined ? '—' : `${utc(a.undoneAt)}${a.undoneBy === undefined ? '' : ` by ${who(a.undoneBy)}`}`} |`,
        ),
      ].join('\n'),
    );
  }
  const checks = timeline.filter((e) => e.kind === 'recovery.check');
  const lines = [
    ...timeline.filter((e) => NOTABLE.has(e.kind)).map((e) => `- ${utc(e.at)} UTC, ${e.kind}: ${ctx.clean(e.message, 'timeline')}`),
    checks.length === 0 ? undefined : `- **Recovery checks:** ${checks.length}, the last at ${utc(checks[checks.length - 1].at)} UTC: ${ctx.clean(checks[checks.length - 1].message, 'timeline')}.`,
    ctx.at('mitigated') === undefined ? undefined : `- **Mitigated:** ${utc(ctx.at('mitigated'))} UTC.`,
    ctx.at('resolved') === undefined
      ? undefined
      : `- **Resolved:** ${utc(ctx.at('resolved'))} UTC${incident.resolution === undefined ? ', when its alerts cleared' : ` by ${who(incident.resolution.via === 'pagerduty' ? `pagerduty:${incident.resolution.by}` : incident.resolution.by)} via ${incident.resolution.via}${incident.resolution.reason === undefined ? '' : `: ${ctx.clean(incident.resolution.reason, 'resolution')}`}`}.`,
    ...stillInEffect.map((a) => `- **Still in effect when drafted:** ${ACTION_WORDS[a.action]} on ${code(a.model)} (turned on ${utc(a.at)} UTC, not undone).`),
  ].filter((l): l is string => l !== undefined);
  if (lines.length > 0) blocks.push(lines.join('\n'));
  return section(blocks, [actions.length === 0 ? ask('No action on the model was recorded. Describe what was done to contain and resolve it, each with its before → after.') : undefined]);
}

/** Timeline: phases in time order, the measured durations, and the entries (at most {@link MAX_EVENTS}). */
export function timelineSection(ctx: DraftContext): Section {
  const { durations, phases, timeline } = ctx.facts;
  const began = ctx.at('breach began');
  const since = (at: string | undefined): string => (at === undefined || began === undefined ? '—' : formatSeconds(Math.max(0, (Date.parse(at) - Date.parse(began)) / 1000)));
  const d = (s: number | undefined): string => (s === undefined ? 'not reached' : formatSeconds(s));
  // In time order (phases can overlap: containment may start before anyone acknowledges); unrecorded ones last.
  const ordered = [...phases].sort((a, b) => (a.at === undefined ? 1 : 0) - (b.at === undefined ? 1 : 0) || (a.at === undefined || b.at === undefined ? 0 : Date.parse(a.at) - Date.parse(b.at)));
  const phaseTable = ['| Phase | Time (UTC) | Since breach began |', '|---|---|---|', ...ordered.map((p) => `| ${p.phase} | ${p.at === undefined ? 'not recorded' : utc(p.at)} | ${since(p.at)} |`)].join('\n');
  const measured = [
    `Time to detect **${d(durations.detect)}** · time to acknowledge **${d(durations.acknowledge)}** · time to mitigate **${d(durations.mitigate)}** · time to resolve **${d(durations.resolve)}**.`,
    'Measured: detect = breach began → detected; acknowledge = paged (or detected, without a page) → acknowledged; mitigate and resolve = breach began → mitigated / resolved.',
  ].join('\n');
  const shown = timeline.slice(0, MAX_EVENTS);
  const events = [
    '| Time (UTC) | Event | By | Detail |',
    '|---|---|---|---|',
    ...shown.map((e) => `| ${utc(e.at)} | ${ctx.clean(e.kind, 'timeline', 60)} | ${isPerson(e.actor) ? who(e.actor) : ctx.clean(e.actor, 'timeline', 60)} | ${ctx.clean(e.message, 'timeline')} |`),
  ].join('\n');
  const more = timeline.length > shown.length ? `${timeline.length - shown.length} more entries are in the incident record.` : undefined;
  return section([phaseTable, measured, timeline.length === 0 ? 'No timeline entries were recorded.' : events, more]);
}

const ROLE_WORDS = { commander: 'incident commander', scribe: 'scribe', comms: 'communications' } as const;

/** Responders: each person in the record, their roles, when first seen and what they did. */
export function responders(ctx: DraftContext): Section {
  const people = ctx.facts.responders;
  if (people.length === 0) return section([], [ask('No person appears in the record (Firebreak handled it on its own). Add who looked at it, if anyone did.')]);
  return section([
    [
      '| Responder | Role | First seen (UTC) | Did |',
      '|---|---|---|---|',
      ...people.map((p) => `| ${who(p.id)} | ${p.roles.length === 0 ? 'responder' : p.roles.map((r) => ROLE_WORDS[r]).join(', ')} | ${utc(p.firstSeenAt)} | ${ctx.clean(p.activities.join(', '), 'timeline') || '—'} |`),
    ].join('\n'),
  ]);
}
