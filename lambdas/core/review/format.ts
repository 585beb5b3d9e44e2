/**
 * Text formatting shared by the review's markdown, charts and Slack summary,
 * so that the three always show a figure the same way.
 */

/**
 * A duration in seconds, short and readable: `45s`, `4m 05s`, `2h 10m`,
 * `1d 03h`. `null` reads as an em dash (no data).
 *
 * @example
 * formatDuration(245)  // => '4m 05s'
 * formatDuration(null) // => '—'
 */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(Math.max(0, seconds));
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h ${pad(Math.floor((s % 3_600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor((s % 86_400) / 3_600))}h`;
}

/**
 * A fraction as a percentage with one decimal: `0.875` → `87.5%`.
 *
 * @example
 * formatPercent(1) // => '100.0%'
 */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/**
 * The date part of an instant, `2026-11-16`.
 *
 * @example
 * formatDay(new Date('2026-11-16T00:00:00Z')) // => '2026-11-16'
 */
export function formatDay(date: Date | string): string {
  return (typeof date === 'string' ? new Date(date) : date).toISOString().slice(0, 10);
}

/**
 * An instant as `2026-11-23 09:00 UTC`.
 *
 * @example
 * formatInstant('2026-11-23T09:00:00.000Z') // => '2026-11-23 09:00 UTC'
 */
export function formatInstant(date: Date | string): string {
  const iso = (typeof date === 'string' ? new Date(date) : date).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * One line of plain text: control characters become spaces, and text
 * longer than `max` is cut with an ellipsis.
 *
 * @example
 * oneLine('a\nb', 10) // => 'a b'
 */
export function oneLine(text: string, max: number): string {
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
