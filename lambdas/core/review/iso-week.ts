/**
 * ISO-8601 weeks (`2026-W47`) for the weekly review: parse and format, the
 * week's bounds (Monday 00:00 UTC, inclusive, to the next Monday 00:00 UTC,
 * exclusive) and the weeks before it. Date → week is `isoWeek` of the
 * incident module, so a review and an incident's `week` always agree.
 */
import { z } from 'zod';
import { InvalidInputError } from '../errors';
import { isoWeek } from '../incident';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const PATTERN = /^(\d{4})-W(\d{2})$/;

/** A week as numbers. */
export interface IsoWeekParts {
  readonly year: number;
  /** 1..52, or 53 in long years. */
  readonly week: number;
}

/**
 * How many ISO weeks the ISO year has: 53 when 28 December (always in the
 * year's last week) falls in week 53, else 52.
 *
 * @example
 * weeksInIsoYear(2026) // => 53
 * weeksInIsoYear(2027) // => 52
 */
export function weeksInIsoYear(year: number): number {
  return isoWeek(new Date(Date.UTC(year, 11, 28))).endsWith('-W53') ? 53 : 52;
}

/** Why `text` is not an ISO week, or undefined when it is one. */
function weekProblem(text: string): string | undefined {
  const match = PATTERN.exec(text);
  if (match === null) return `expected an ISO week like 2026-W07 (YYYY-Www), got ${JSON.stringify(text)}`;
  const year = Number(match[1]);
  const week = Number(match[2]);
  const last = weeksInIsoYear(year);
  if (week < 1 || week > last) return `expected a week between 01 and ${last} for ${year}, got ${JSON.stringify(text)}`;
  return undefined;
}

/**
 * An ISO week string `YYYY-Www` that exists (`2026-W53` does, `2027-W53`
 * does not).
 *
 * @example
 * IsoWeekSchema.parse('2026-W47') // => '2026-W47'
 */
export const IsoWeekSchema = z.string().superRefine((text, ctx) => {
  const problem = weekProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * Parses `YYYY-Www`.
 *
 * @throws InvalidInputError (subject "ISO week") when the text is not a week that exists.
 * @example
 * parseIsoWeek('2026-W07') // => { year: 2026, week: 7 }
 */
export function parseIsoWeek(text: string): IsoWeekParts {
  const problem = weekProblem(text);
  if (problem !== undefined) throw new InvalidInputError('ISO week', [{ path: 'week', message: problem }]);
  const match = PATTERN.exec(text) as RegExpExecArray;
  return { year: Number(match[1]), week: Number(match[2]) };
}

/**
 * Writes a week as `YYYY-Www`.
 *
 * @throws InvalidInputError when the week does not exist in that year.
 * @example
 * formatIsoWeek({ year: 2026, week: 7 }) // => '2026-W07'
 */
export function formatIsoWeek(parts: IsoWeekParts): string {
  const text = `${String(parts.year).padStart(4, '0')}-W${String(parts.week).padStart(2, '0')}`;
  parseIsoWeek(text);
  return text;
}

/**
 * Monday 00:00:00 UTC that starts the week (inclusive).
 *
 * @example
 * isoWeekStart('2026-W47').toISOString() // => '2026-11-16T00:00:00.000Z'
 */
export function isoWeekStart(week: string): Date {
  const { year, week: n } = parseIsoWeek(week);
  // 4 January is always in week 1; week 1 starts on the Monday on or before it.
  const jan4 = Date.UTC(year, 0, 4);
  const jan4Weekday = new Date(jan4).getUTCDay() || 7;
  return new Date(jan4 - (jan4Weekday - 1) * DAY_MS + (n - 1) * WEEK_MS);
}

/**
 * The end of the week, exclusive: the next Monday 00:00:00 UTC.
 *
 * @example
 * isoWeekEnd('2026-W47').toISOString() // => '2026-11-23T00:00:00.000Z'
 */
export function isoWeekEnd(week: string): Date {
  return new Date(isoWeekStart(week).getTime() + WEEK_MS);
}

/**
 * The week `delta` weeks after (`delta` > 0) or before (`delta` < 0) `week`,
 * across year boundaries.
 *
 * @example
 * shiftIsoWeek('2027-W01', -1) // => '2026-W53'
 */
export function shiftIsoWeek(week: string, delta: number): string {
  if (!Number.isInteger(delta)) throw new RangeError(`expected a whole number of weeks, got ${delta}`);
  return isoWeek(new Date(isoWeekStart(week).getTime() + delta * WEEK_MS));
}

/**
 * The `count` weeks before `week`, oldest first (`week` itself excluded).
 *
 * @example
 * previousIsoWeeks('2026-W02', 3) // => ['2025-W51', '2025-W52', '2026-W01']
 */
export function previousIsoWeeks(week: string, count: number): string[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`expected a whole count >= 0, got ${count}`);
  const weeks: string[] = [];
  for (let back = count; back >= 1; back -= 1) weeks.push(shiftIsoWeek(week, -back));
  return weeks;
}

/**
 * The week before the one that contains `date`: the week a Monday-morning
 * review covers by default.
 *
 * @example
 * lastCompleteIsoWeek(new Date('2026-11-23T09:00:00Z')) // => '2026-W47'
 */
export function lastCompleteIsoWeek(date: Date): string {
  return shiftIsoWeek(isoWeek(date), -1);
}

/** The ISO week of a date (re-exported from the incident module). */
export { isoWeek };
