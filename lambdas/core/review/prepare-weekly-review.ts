/**
 * The weekly review, end to end (DESIGN: "weekly schedule | weekly-review:
 * digest, charts, post to Slack, commit"): load the records, compute the
 * figures, commit the document and its charts to the records repository,
 * post the summary to the review channel. Used by the `weekly-review`
 * workflow's task and by the embedded `POST /reviews/weekly` route
 * (`firebreak review weekly`).
 *
 * Idempotent: the document is a function of the records and of the moment
 * the review is made as of (`asOf`, which is also its "generated at"
 * stamp), so running again with the same `asOf` commits nothing and posts
 * nothing. The workflow passes the scheduled time (or the execution's start
 * time), so retries and duplicated deliveries render the same bytes.
 */
import { CaseRecordError, parseCase } from '../corpus/case';
import { FirebreakError, InvalidInputError } from '../errors';
import type { Incident } from '../incident';
import type { Clock, IncidentStore } from '../ports';
import { ActionItemsFormatError, parseActionItems } from '../postmortem/action-items';
import type { RecordsRepository } from '../records/records-repository';
import { isoWeekStart, lastCompleteIsoWeek, parseIsoWeek, previousIsoWeeks } from './iso-week';
import { renderWeeklyReview } from './render-review';
import { reviewBlocks } from './review-blocks';
import type { ReviewChannel } from './review-channel';
import { BASELINE_WEEKS, reviewSummary, weeklyReviewStats, type ReviewActionItem, type ReviewCase, type ReviewSlo } from './weekly-stats';

/** Regression case files: `corpus/<name>.json`, not in sub-folders. */
const CASE_FILE = /^corpus\/[^/]+\.json$/;
/** Postmortems: `postmortems/**` + `/<incident id>.md`; the file name is the incident id. */
const POSTMORTEM_FILE = /^postmortems\/(?:[^/]+\/)*(inc-\d{8}-[0-9a-f]{8})\.md$/;

/** What {@link prepareWeeklyReview} needs. */
export interface WeeklyReviewDeps {
  /** Incidents: those opened in the reviewed week and the four before it, and the active ones. */
  readonly store: Pick<IncidentStore, 'listByWeek' | 'listActive'>;
  /** Where the cases and postmortems are read and the review is committed. */
  readonly records: RecordsRepository;
  /** The default `asOf`, and the default week (the last complete one). */
  readonly clock: Clock;
  /** The policy's SLOs: each gets an error-budget line. */
  readonly slos: readonly ReviewSlo[];
  /** Where the summary is posted; without it nothing is posted. */
  readonly channel?: ReviewChannel;
  /**
   * A link people can open for the review (the embedded target's review
   * page, say). Default: the commit's link (the pull request on GitHub),
   * else the repository's link for the document.
   */
  readonly reviewLink?: (week: string) => string | undefined;
}

/** Options of {@link prepareWeeklyReview}. */
export interface WeeklyReviewOptions {
  /**
   * The moment the review is made as of: nothing later counts, and it is the
   * document's "generated at" stamp. @default deps.clock.now()
   */
  readonly asOf?: Date;
  /** Post the summary even when the commit changed nothing (a re-post someone asked for). @default false */
  readonly force?: boolean;
}

/** What {@link prepareWeeklyReview} did. */
export interface WeeklyReviewResult {
  /** The reviewed ISO week, `YYYY-Www`. */
  readonly week: string;
  /** The document in the records repository, `reviews/<yyyy>-W<ww>.md`. */
  readonly path: string;
  /** A link people can open: the pull request or commit, or the document. */
  readonly link: string;
  /** Incidents of the week and medians of time to acknowledge and to resolve, in seconds (`null`: no data). */
  readonly summary: { readonly incidents: number; readonly mtta: number | null; readonly mttr: number | null };
  /** True when the commit wrote something (false: the same review was there already). */
  readonly changed: boolean;
  /** True when the summary was posted to the review channel by this call. */
  readonly posted: boolean;
  /** The `asOf` moment, ISO-8601. */
  readonly asOf: string;
  /** Records left out of the review, counted. */
  readonly skipped: { readonly cases: number; readonly postmortems: number };
  /** What was left out and why, one line each (paths, never file content). */
  readonly notes: string[];
}

/**
 * The review was committed but its summary could not be posted. Not retried
 * by the workflow: a retry with the same `asOf` would find the review
 * committed and post nothing. Start the workflow again (a new execution is
 * a new `asOf`), or ask for the review again with `force`.
 */
export class WeeklyReviewNotPostedError extends FirebreakError {
  constructor(
    readonly week: string,
    readonly link: string,
    options: { cause: unknown },
  ) {
    super(`the weekly review ${week} is committed (${link}) but its summary was not posted to the review channel: ${messageOf(options.cause)}`, options);
  }
}

/**
 * Makes the weekly review of `week` (default: the last complete ISO week at
 * `asOf`):
 *
 * 1. incidents opened in the week and the four before it
 *    (`IncidentStore.listByWeek` per week) and the active ones (`listActive`),
 *    each once;
 * 2. regression cases from `corpus/*.json` (a file that is not a valid case
 *    is left out and counted, with its path and the fields at fault in
 *    `notes`; its text is never quoted);
 * 3. action items from every postmortem of the records repository
 *    (`postmortems/**` + `/<incident id>.md`, the incident id taken from the
 *    file name), however old: an open item stays on the review until it is
 *    done, whether or not its incident is in the figures' window (the
 *    `done` count is over every postmortem too); a table that cannot be
 *    read is left out with a note;
 * 4. figures (`weeklyReviewStats`), document and SVG charts
 *    (`renderWeeklyReview`, charts as files), committed in one commit
 *    `review: weekly review <week>` on branch `firebreak/reviews/<week>`
 *    (hosted repositories open a pull request);
 * 5. when a review channel is configured and the commit changed something
 *    (or `force`), the Block Kit summary (`reviewBlocks`) is posted there.
 *
 * @throws InvalidInputError when `week` is not an ISO week, `asOf` is not a date, or the week has not started at `asOf`
 * @throws WeeklyReviewNotPostedError when the review was committed but the post failed (the vendor error is its `cause`)
 * @example
 * const review = await prepareWeeklyReview({ store, records, clock: systemClock, slos: policy.slos, channel }, '2026-W47');
 * review.link // => 'https://github.com/acme/records/pull/12'
 */
export async function prepareWeeklyReview(deps: WeeklyReviewDeps, week?: string, options: WeeklyReviewOptions = {}): Promise<WeeklyReviewResult> {
  const asOf = options.asOf ?? deps.clock.now();
  if (Number.isNaN(asOf.getTime())) throw new InvalidInputError('weekly review', [{ path: 'asOf', message: 'expected a valid date' }]);
  const reviewed = week ?? lastCompleteIsoWeek(asOf);
  parseIsoWeek(reviewed);
  if (isoWeekStart(reviewed).getTime() > asOf.getTime()) {
    throw new InvalidInputError('weekly review', [{ path: 'week', message: `${reviewed} has not started at ${asOf.toISOString()}` }]);
  }
  const notes: string[] = [];

  const incidents = await loadIncidents(deps.store, reviewed);
  const cases = await loadCases(deps.records, notes);
  const actionItems = await loadActionItems(deps.records, notes);

  const stats = weeklyReviewStats({ week: reviewed, incidents, slos: deps.slos, cases: cases.loaded, actionItems: actionItems.loaded, now: asOf });
  const rendered = renderWeeklyReview(stats, { charts: 'files' });
  const summary = reviewSummary(stats);
  const commit = await deps.records.commit(
    rendered.files,
    `review: weekly review ${reviewed}\n\n${summary.incidents} incident${summary.incidents === 1 ? '' : 's'}; figures as of ${asOf.toISOString()}.`,
    { branch: `firebreak/reviews/${reviewed}` },
  );
  const link = deps.reviewLink?.(reviewed) ?? commit.url ?? deps.records.link(rendered.path);

  let posted = false;
  if (deps.channel !== undefined && (commit.changed || options.force === true)) {
    const { text, blocks } = reviewBlocks(stats, link);
    try {
      await deps.channel.post(text, blocks);
    } catch (error) {
      throw new WeeklyReviewNotPostedError(reviewed, link, { cause: error });
    }
    posted = true;
  }

  return {
    week: reviewed,
    path: rendered.path,
    link,
    summary,
    changed: commit.changed,
    posted,
    asOf: asOf.toISOString(),
    skipped: { cases: cases.skipped, postmortems: actionItems.skipped },
    notes,
  };
}

/** Incidents opened in the week and the baseline weeks, and the active ones; each once. */
async function loadIncidents(store: WeeklyReviewDeps['store'], week: string): Promise<Incident[]> {
  const weeks = [...previousIsoWeeks(week, BASELINE_WEEKS), week];
  const lists = await Promise.all([...weeks.map((w) => store.listByWeek(w)), store.listActive()]);
  const byId = new Map<string, Incident>();
  for (const incident of lists.flat()) if (!byId.has(incident.id)) byId.set(incident.id, incident);
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Every valid case of `corpus/`, reduced to what the review reads (no prompt text). */
async function loadCases(records: RecordsRepository, notes: string[]): Promise<{ loaded: ReviewCase[]; skipped: number }> {
  const all = await records.readAll('corpus');
  const paths = [...all.keys()].filter((p) => CASE_FILE.test(p));
  const texts = paths.map((p) => all.get(p));
  const loaded: ReviewCase[] = [];
  let skipped = 0;
  paths.forEach((path, index) => {
    const text = texts[index];
    // Listed, then gone before it was read: not in the corpus any more.
    if (text === undefined) return;
    try {
      const c = parseCase(text, path);
      loaded.push({
        id: c.id,
        created_at: c.created_at,
        status: c.status,
        taxonomy: { owasp: c.taxonomy.owasp, category: c.taxonomy.category, technique: c.taxonomy.technique },
        source: { incident_ids: [...c.source.incident_ids], first_seen: c.source.first_seen },
      });
    } catch (error) {
      if (!(error instanceof CaseRecordError)) throw error;
      skipped += 1;
      // Only the paths of the fields at fault: the messages can quote the file (JSON.parse does), and a case holds prompt text.
      const where = [...new Set(error.issues.map((i) => i.path || '(root)'))].join(', ');
      notes.push(`${path}: left out, not a valid regression case (at ${where})`);
    }
  });
  return { loaded, skipped };
}

/**
 * Action items of every postmortem (`postmortems/**` + `/<incident id>.md`),
 * whatever the age of its incident: open items are followed up until done.
 */
async function loadActionItems(records: RecordsRepository, notes: string[]): Promise<{ loaded: ReviewActionItem[]; skipped: number }> {
  const all = await records.readAll('postmortems');
  const files = [...all.keys()]
    .map((path) => ({ path, incidentId: POSTMORTEM_FILE.exec(path)?.[1] }))
    .filter((f): f is { path: string; incidentId: string } => f.incidentId !== undefined);
  const texts = files.map((f) => all.get(f.path));
  const loaded: ReviewActionItem[] = [];
  let skipped = 0;
  files.forEach(({ path, incidentId }, index) => {
    const text = texts[index];
    if (text === undefined) return;
    try {
      for (const item of parseActionItems(text)) loaded.push({ incidentId, ...item });
    } catch (error) {
      if (!(error instanceof ActionItemsFormatError)) throw error;
      skipped += 1;
      notes.push(`${path}: action items left out: ${error.message}`);
    }
  });
  return { loaded, skipped };
}


function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
