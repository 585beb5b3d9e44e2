/**
 * What the pages read from the records repository: an incident's postmortem,
 * the regression cases harvested for it, the weekly reviews and their
 * charts. Paths follow the repository's layout (`postmortems/<yyyy>/<id>.md`,
 * `corpus/*.json`, `reviews/<yyyy>-W<ww>.md`, `reviews/<yyyy>-W<ww>/<name>.svg`).
 */
import { CaseRecordError, parseCase } from '../../lambdas/core/corpus/case';
import type { Incident } from '../../lambdas/core/incident';
import type { RecordsRepository } from '../../lambdas/core/records/records-repository';

/** The part of the records repository the pages read. */
export type RecordsReader = Pick<RecordsRepository, 'read' | 'list' | 'readAll'>;

/** A week as the review routes accept it: `YYYY-Www` with a week from 01 to 53. */
export const REVIEW_WEEK_PATTERN = /^\d{4}-W(?:0[1-9]|[1-4]\d|5[0-3])$/;
/** A chart file name (without `.svg`): letters, digits, `-` and `_`, starting with a letter or digit. */
export const CHART_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;
/** Longest excerpt of a case's input shown on a page. */
export const MAX_CASE_EXCERPT_CHARS = 120;

/**
 * Path of an incident's postmortem: `postmortems/<yyyy>/<id>.md`, `yyyy`
 * the UTC year the incident was opened.
 *
 * @example
 * postmortemPath(incident) // => 'postmortems/2026/inc-20261121-5f2a9c1e.md'
 */
export function postmortemPath(incident: Pick<Incident, 'id' | 'openedAt'>): string {
  const year = new Date(incident.openedAt).getUTCFullYear();
  const yyyy = Number.isNaN(year) ? incident.openedAt.slice(0, 4) : String(year).padStart(4, '0');
  return `postmortems/${yyyy}/${incident.id}.md`;
}

/**
 * Path of a weekly review document.
 *
 * @example
 * reviewPath('2026-W47') // => 'reviews/2026-W47.md'
 */
export function reviewPath(week: string): string {
  return `reviews/${week}.md`;
}

/**
 * Path of a chart of a weekly review, or undefined when the week or the name
 * is not acceptable (so that no request can name another file).
 *
 * @example
 * chartPath('2026-W47', 'incidents-per-week') // => 'reviews/2026-W47/incidents-per-week.svg'
 * chartPath('2026-W47', '..') // => undefined
 */
export function chartPath(week: string, name: string): string | undefined {
  return REVIEW_WEEK_PATTERN.test(week) && CHART_NAME_PATTERN.test(name) ? `reviews/${week}/${name}.svg` : undefined;
}

/**
 * The URL of the server that serves a file of the records repository as an
 * image, or undefined when it is not a review chart.
 *
 * @example
 * chartUrl('reviews/2026-W47/ttr-trend.svg') // => '/reviews/2026-W47/ttr-trend.svg'
 * chartUrl('corpus/case-1.json') // => undefined
 */
export function chartUrl(recordPath: string): string | undefined {
  const match = /^reviews\/([^/]+)\/([^/]+)\.svg$/.exec(recordPath);
  if (match === null) return undefined;
  const [, week = '', name = ''] = match;
  return chartPath(week, name) === undefined ? undefined : `/reviews/${week}/${name}.svg`;
}

/** A regression case as an incident page lists it. */
export interface RegressionCaseView {
  readonly id: string;
  readonly owasp: string;
  readonly category: string;
  readonly technique: string;
  /** At most {@link MAX_CASE_EXCERPT_CHARS} characters of the first user turn (already redacted in the record). */
  readonly excerpt: string;
  readonly path: string;
}

/** A corpus file that could not be read as a case: listed on the page, never hidden. */
export interface UnreadableRecord {
  readonly path: string;
  readonly reason: string;
}

/**
 * Folds whitespace and cuts text to `max` characters, an ellipsis marking the
 * cut, without splitting a surrogate pair.
 *
 * @example
 * excerpt('Ignore   all previous instructions', 12) // => 'Ignore all …'
 */
export function excerpt(text: string, max = MAX_CASE_EXCERPT_CHARS): string {
  const folded = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(folded);
  return chars.length <= max ? folded : `${chars.slice(0, max - 1).join('')}…`;
}

/** A case file of the corpus: `corpus/…/case-*.json`. */
const CASE_FILE = /^corpus\/(?:.+\/)?case-[^/]*\.json$/;

/**
 * The regression cases whose `source.incident_ids` name the incident, by
 * case id, and the case files of the corpus that are not valid cases (a
 * page lists them rather than hide them).
 *
 * @example
 * const { cases, unreadable } = await regressionCasesOf(records, 'inc-20261121-5f2a9c1e');
 */
export async function regressionCasesOf(records: RecordsReader, incidentId: string): Promise<{ cases: RegressionCaseView[]; unreadable: UnreadableRecord[] }> {
  const cases: RegressionCaseView[] = [];
  const unreadable: UnreadableRecord[] = [];
  for (const [path, text] of await records.readAll('corpus')) {
    if (!CASE_FILE.test(path)) continue;
    let record: ReturnType<typeof parseCase>;
    try {
      record = parseCase(text, path);
    } catch (error) {
      if (!(error instanceof CaseRecordError)) throw error;
      unreadable.push({ path, reason: error.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ') });
      continue;
    }
    if (!record.source.incident_ids.includes(incidentId)) continue;
    const firstUser = record.input.turns.find((t) => t.role === 'user');
    cases.push({
      id: record.id,
      owasp: record.taxonomy.owasp,
      category: record.taxonomy.category,
      technique: record.taxonomy.technique,
      excerpt: excerpt(firstUser?.content ?? ''),
      path,
    });
  }
  return { cases: cases.sort((a, b) => a.id.localeCompare(b.id)), unreadable };
}

/**
 * The weeks that have a review document, newest first.
 *
 * @example
 * await reviewWeeks(records) // => ['2026-W47', '2026-W46']
 */
export async function reviewWeeks(records: RecordsReader): Promise<string[]> {
  const weeks = (await records.list('reviews'))
    .map((p) => /^reviews\/(\d{4}-W\d{2})\.md$/.exec(p)?.[1])
    .filter((w): w is string => w !== undefined && REVIEW_WEEK_PATTERN.test(w));
  return [...new Set(weeks)].sort().reverse();
}
