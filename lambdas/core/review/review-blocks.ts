/**
 * Block Kit summary of the weekly review for the review channel
 * (`chat.postMessage`). Pure JSON: no Slack client.
 *
 * Shows ids, SLO ids, severities, taxonomy and figures only (no incident
 * titles, no case text, no action-item text: the full review holds those).
 * Everything shown is escaped for mrkdwn and kept within Block Kit's limits:
 * header 150 characters, section text 3000, at most 10 fields of 2000 each,
 * at most 50 blocks.
 */
import { formatDuration, formatInstant, formatPercent, oneLine } from './format';
import type { DurationSummary, ErrorBudget, WeeklyReviewStats } from './weekly-stats';

/** One Block Kit block (a JSON object with a `type`), like `SlackBlock` of the Slack renderer. */
export interface ReviewBlock {
  readonly type: string;
  readonly block_id?: string;
  readonly [field: string]: unknown;
}

/** A `chat.postMessage` body: notification text plus blocks. */
export interface ReviewMessage {
  /** Fallback text for notifications and screen readers. */
  readonly text: string;
  readonly blocks: ReviewBlock[];
}

/** Block Kit limits the summary keeps to. */
export const BLOCK_LIMITS = { blocks: 50, headerText: 150, sectionText: 3000, fields: 10, fieldText: 2000 } as const;

/** Entries listed per breakdown before "and N more". */
const MAX_LISTED = 8;

/**
 * The review summary: a header; the incident count against the previous
 * four weeks; fields with the median and p90 of time to detect, acknowledge
 * and resolve (and this week's change of the median), unresolved incidents,
 * open action items, new regression cases and repeat families; the
 * breakdowns by SLO, severity and attack family; repeat families; error
 * budget left per SLO; and a context line with the link to the full review.
 *
 * @example
 * const { text, blocks } = reviewBlocks(stats, 'https://github.com/acme/records/blob/main/reviews/2026-W47.md');
 * await client.chat.postMessage({ channel: reviewChannel, text, blocks });
 */
export function reviewBlocks(stats: WeeklyReviewStats, link?: string): ReviewMessage {
  const current = stats.weeks[stats.weeks.length - 1];
  const { incidents, baseline } = stats;
  const blocks: ReviewBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(`Weekly review ${stats.week}`, BLOCK_LIMITS.headerText), emoji: true } },
    section(
      `*${incidents.total} incident${incidents.total === 1 ? '' : 's'}* this week` +
        ` (previous four weeks: ${round(baseline.incidentsPerWeek)} per week)` +
        (incidents.flapped > 0 ? ` · ${incidents.flapped} flap${incidents.flapped === 1 ? '' : 's'} not counted` : ''),
    ),
    {
      type: 'section',
      fields: [
        timing('Time to detect', current.ttd, baseline.ttd),
        timing('Time to acknowledge', current.tta, baseline.tta),
        timing('Time to resolve', current.ttr, baseline.ttr),
        `*Unresolved*\n${incidents.unresolved}`,
        `*Open action items*\n${stats.actionItems.open.length} (${stats.actionItems.openByType.mitigate} mitigate, ${stats.actionItems.openByType.prevent} prevent, ${stats.actionItems.openByType.process} process)`,
        `*New regression cases*\n${stats.newCases.length}`,
      ].map(field),
    },
    {
      type: 'section',
      fields: [
        list('By SLO', incidents.bySlo.map((s) => `${code(s.slo)} ${s.incidents}`)),
        list('By severity', incidents.bySeverity.filter((s) => s.incidents > 0).map((s) => `${s.severity.toUpperCase()} ${s.incidents}`)),
        list('By attack family', [
          ...incidents.byFamily.map((f) => `${code(`${f.category} / ${f.technique}`)} ${f.incidents}`),
          ...(incidents.unclassified > 0 ? [`unclassified ${incidents.unclassified}`] : []),
        ]),
      ].map(field),
    },
  ];
  if (stats.repeatFamilies.length > 0) {
    blocks.push(
      section(
        list(
          ':repeat: Repeat attack families (cases already existed)',
          stats.repeatFamilies.map((f) => `${code(`${f.category} / ${f.technique}`)}: ${f.incidentIds.length} incident${f.incidentIds.length === 1 ? '' : 's'} despite ${f.priorCaseIds.length} case${f.priorCaseIds.length === 1 ? '' : 's'}`),
        ),
      ),
    );
  }
  if (stats.budgets.length > 0) {
    const sorted = [...stats.budgets].sort((a, b) => a.remainingFraction - b.remainingFraction);
    blocks.push(section(list('Error budget left (lowest first)', sorted.map((b) => `${code(b.slo)} ${budgetLeft(b)}`))));
  }
  const context = [`Firebreak · ${stats.week} · generated ${formatInstant(stats.generatedAt)}`];
  const href = safeLink(link);
  if (href !== undefined) context.unshift(`<${href}|Full review with charts>`);
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cut(context.join(' · '), BLOCK_LIMITS.sectionText) }] });

  const text = `Weekly review ${stats.week}: ${incidents.total} incident${incidents.total === 1 ? '' : 's'}, time to acknowledge median ${formatDuration(current.tta.median)}, time to resolve median ${formatDuration(current.ttr.median)}`;
  return { text, blocks: blocks.slice(0, BLOCK_LIMITS.blocks) };
}

function section(text: string): ReviewBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: cut(text, BLOCK_LIMITS.sectionText) } };
}

function field(text: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: cut(text, BLOCK_LIMITS.fieldText) };
}

function timing(label: string, now: DurationSummary, before: DurationSummary): string {
  const delta = now.median === null || before.median === null || before.median === 0 ? '' : ` (${signed(Math.round(((now.median - before.median) / before.median) * 100))}% vs previous 4 weeks)`;
  return `*${label}*\nmedian ${formatDuration(now.median)} · p90 ${formatDuration(now.p90)}${delta}`;
}

function list(title: string, items: readonly string[]): string {
  if (items.length === 0) return `*${title}*\n—`;
  const shown = items.slice(0, MAX_LISTED).map((i) => `• ${i}`);
  if (items.length > MAX_LISTED) shown.push(`• _and ${items.length - MAX_LISTED} more_`);
  return `*${title}*\n${shown.join('\n')}`;
}

function budgetLeft(b: ErrorBudget): string {
  return b.exhausted ? ':red_circle: exhausted' : formatPercent(b.remainingFraction);
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}

function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** An http(s) URL that cannot break out of Slack's `<url|label>` syntax, or undefined. */
function safeLink(url: string | undefined): string | undefined {
  if (url === undefined || url.length > 2000 || !/^https?:\/\/[^\s<>|]+$/.test(url)) return undefined;
  return url.replace(/&/g, '&amp;');
}

/** An identifier in inline code: escaped, one line, no backticks. */
function code(value: string): string {
  return `\`${escape(oneLine(value, 80).replace(/`/g, "'"))}\``;
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
