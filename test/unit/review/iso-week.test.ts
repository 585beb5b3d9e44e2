import { InvalidInputError } from '../../../lambdas/core/errors';
import { isoWeek } from '../../../lambdas/core/incident';
import {
  formatIsoWeek,
  isoWeekEnd,
  isoWeekStart,
  IsoWeekSchema,
  lastCompleteIsoWeek,
  parseIsoWeek,
  previousIsoWeeks,
  shiftIsoWeek,
  weeksInIsoYear,
} from '../../../lambdas/core/review/iso-week';

const DAY = 86_400_000;

describe('ISO weeks', () => {
  it('parses and formats YYYY-Www', () => {
    expect(parseIsoWeek('2026-W07')).toEqual({ year: 2026, week: 7 });
    expect(formatIsoWeek({ year: 2026, week: 7 })).toBe('2026-W07');
    expect(formatIsoWeek(parseIsoWeek('2026-W53'))).toBe('2026-W53');
  });

  it.each([
    ['2026-47', /expected an ISO week like 2026-W07/],
    ['2026-W7', /expected an ISO week like 2026-W07/],
    [' 2026-W07', /expected an ISO week/],
    ['2026-W00', /between 01 and 53 for 2026/],
    ['2027-W53', /between 01 and 52 for 2027/],
    ['2026-W54', /between 01 and 53/],
  ])('refuses %j with InvalidInputError saying what is expected', (text, message) => {
    expect(() => parseIsoWeek(text)).toThrow(InvalidInputError);
    expect(() => parseIsoWeek(text)).toThrow(message);
    expect(IsoWeekSchema.safeParse(text).success).toBe(false);
  });

  it('knows which years have 53 weeks', () => {
    // Years that start on a Thursday, or leap years that start on a Wednesday.
    expect([2015, 2020, 2026, 2032].map(weeksInIsoYear)).toEqual([53, 53, 53, 53]);
    expect([2019, 2021, 2024, 2025, 2027].map(weeksInIsoYear)).toEqual([52, 52, 52, 52, 52]);
  });

  it.each([
    ['2026-W47', '2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z'],
    ['2026-W01', '2025-12-29T00:00:00.000Z', '2026-01-05T00:00:00.000Z'],
    ['2026-W53', '2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z'],
    ['2027-W01', '2027-01-04T00:00:00.000Z', '2027-01-11T00:00:00.000Z'],
    ['2021-W01', '2021-01-04T00:00:00.000Z', '2021-01-11T00:00:00.000Z'],
  ])('%s runs from Monday %s (inclusive) to %s (exclusive)', (week, start, end) => {
    expect(isoWeekStart(week).toISOString()).toBe(start);
    expect(isoWeekEnd(week).toISOString()).toBe(end);
  });

  it('agrees with isoWeek for every day from 2019 to 2029', () => {
    for (let t = Date.UTC(2019, 0, 1); t < Date.UTC(2030, 0, 1); t += DAY) {
      const week = isoWeek(new Date(t + 13 * 3_600_000));
      const start = isoWeekStart(week).getTime();
      expect(new Date(start).getUTCDay()).toBe(1);
      expect(t >= start && t < isoWeekEnd(week).getTime()).toBe(true);
    }
  });

  it('shifts across year boundaries, 53-week years included', () => {
    expect(shiftIsoWeek('2027-W01', -1)).toBe('2026-W53');
    expect(shiftIsoWeek('2026-W53', 1)).toBe('2027-W01');
    expect(shiftIsoWeek('2026-W01', -1)).toBe('2025-W52');
    expect(shiftIsoWeek('2026-W47', 0)).toBe('2026-W47');
    expect(() => shiftIsoWeek('2026-W47', 0.5)).toThrow(RangeError);
  });

  it('lists the previous weeks oldest first, without the week itself', () => {
    expect(previousIsoWeeks('2027-W02', 4)).toEqual(['2026-W51', '2026-W52', '2026-W53', '2027-W01']);
    expect(previousIsoWeeks('2026-W47', 0)).toEqual([]);
    expect(() => previousIsoWeeks('2026-W47', -1)).toThrow(RangeError);
  });

  it('reviews the last complete week by default', () => {
    expect(lastCompleteIsoWeek(new Date('2026-11-23T09:00:00Z'))).toBe('2026-W47');
    expect(lastCompleteIsoWeek(new Date('2026-11-22T23:59:59Z'))).toBe('2026-W46');
    expect(lastCompleteIsoWeek(new Date('2027-01-04T09:00:00Z'))).toBe('2026-W53');
  });
});
