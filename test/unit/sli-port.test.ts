import { FirebreakError } from '../../lambdas/core/errors';
import { assertWindow, isWithinObjective, sliReading, SliSourceError } from '../../lambdas/core/sli/port';

const objective = (comparator: 'gte' | 'lte' | 'eq', target: number) => ({ objective: { comparator, target } });

describe('isWithinObjective', () => {
  it('holds a gte objective at and above the target', () => {
    expect(isWithinObjective(objective('gte', 0.999), 0.999)).toBe(true);
    expect(isWithinObjective(objective('gte', 0.999), 1)).toBe(true);
    expect(isWithinObjective(objective('gte', 0.999), 0.998)).toBe(false);
  });

  it('holds an lte objective at and below the target', () => {
    expect(isWithinObjective(objective('lte', 500), 500)).toBe(true);
    expect(isWithinObjective(objective('lte', 500), 500.01)).toBe(false);
  });

  it('holds an eq objective within floating-point noise only', () => {
    expect(isWithinObjective(objective('eq', 0), 0)).toBe(true);
    expect(isWithinObjective(objective('eq', 0), 1e-12)).toBe(true);
    expect(isWithinObjective(objective('eq', 0), 1)).toBe(false);
    expect(isWithinObjective(objective('eq', 0), 0.001)).toBe(false);
  });

  it('says nothing without data', () => {
    expect(isWithinObjective(objective('gte', 0.9), null)).toBeNull();
    expect(isWithinObjective(objective('gte', 0.9), NaN)).toBeNull();
  });
});

describe('sliReading', () => {
  it('computes withinObjective and keeps defined extras', () => {
    expect(sliReading(objective('gte', 0.999), 0.5, new Date('2026-11-20T10:00:00Z'), { sampleCount: 8, badFraction: undefined })).toEqual({
      value: 0.5,
      at: '2026-11-20T10:00:00.000Z',
      withinObjective: false,
      sampleCount: 8,
    });
  });

  it('turns NaN into no data', () => {
    expect(sliReading(objective('lte', 500), NaN, '2026-11-20T10:00:00.000Z')).toEqual({ value: null, at: '2026-11-20T10:00:00.000Z', withinObjective: null });
  });
});

describe('SliSourceError', () => {
  it('is a FirebreakError with a stable name, the source, retryability and a code', () => {
    const cause = new Error('socket hang up');
    const error = new SliSourceError('prometheus', 'request failed', { retryable: true, code: 'unavailable', retryAfterSeconds: 5, cause });
    expect(error).toBeInstanceOf(FirebreakError);
    expect(error.name).toBe('SliSourceError');
    expect(error.message).toBe('prometheus: request failed');
    expect(error).toMatchObject({ source: 'prometheus', retryable: true, code: 'unavailable', retryAfterSeconds: 5, cause });
  });

  it('defaults the code from retryability', () => {
    expect(new SliSourceError('cloudwatch', 'x', { retryable: false }).code).toBe('rejected');
    expect(new SliSourceError('cloudwatch', 'x', { retryable: true }).code).toBe('unavailable');
  });
});

describe('assertWindow', () => {
  it('accepts a positive window and rejects anything else', () => {
    expect(() => assertWindow(0.5)).not.toThrow();
    for (const bad of [0, -1, NaN, Infinity]) expect(() => assertWindow(bad)).toThrow(RangeError);
  });
});
