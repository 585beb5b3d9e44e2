/**
 * The weekly review's charts as standalone SVG documents (strings): incidents
 * per week (bars), time to resolve per week (lines) and error budget left per
 * SLO (horizontal bars).
 *
 * Accessible: `role="img"` labelled by a `<title>` and a `<desc>` that lists
 * every value in words; axes carry labels and every mark has its value as
 * text, so no figure is told by colour alone (p90 is dashed, median solid).
 * Every piece of text is XML-escaped. No blank lines inside, so a chart can
 * be inlined in markdown as an HTML block.
 */
import { formatDuration, formatPercent, oneLine } from './format';

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const INK = '#1f2328';
const MUTED = '#59636e';
const GRID = '#d1d9e0';
const BLUE = '#0969da';
const ORANGE = '#bc4c00';

/** Options shared by the charts. */
export interface ChartOptions {
  /**
   * Prefix of the element ids (`<id>-title`, `<id>-desc`); must be unique
   * in a page that shows several charts inline.
   */
  readonly id?: string;
}

/** One week of the incidents chart. */
export interface WeekCount {
  readonly week: string;
  readonly incidents: number;
}

/** One week of the time-to-resolve chart, in seconds (`null`: no resolved incident). */
export interface WeekDurations {
  readonly week: string;
  readonly median: number | null;
  readonly p90: number | null;
}

/** One SLO of the error-budget chart. */
export interface BudgetLeft {
  readonly slo: string;
  /** Left, as a share of the budget, in [0, 1]. */
  readonly remainingFraction: number;
  /** Something was consumed and nothing is left. */
  readonly exhausted: boolean;
}

/**
 * Escapes text for XML content and attribute values.
 *
 * @example
 * escapeXml('<a & "b">') // => '&lt;a &amp; &quot;b&quot;&gt;'
 */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * Bar chart: incidents opened per ISO week (flaps excluded), one bar per
 * week with its count above it.
 *
 * @example
 * incidentsPerWeekChart([{ week: '2026-W46', incidents: 2 }, { week: '2026-W47', incidents: 5 }])
 */
export function incidentsPerWeekChart(weeks: readonly WeekCount[], options: ChartOptions = {}): string {
  const id = safeId(options.id ?? 'incidents-per-week');
  const width = 640;
  const height = 320;
  const plot = { left: 64, right: 16, top: 48, bottom: 64 };
  const plotWidth = width - plot.left - plot.right;
  const plotHeight = height - plot.top - plot.bottom;
  const scale = niceScale(Math.max(0, ...weeks.map((w) => w.incidents)), true);
  const y = (value: number): number => plot.top + plotHeight - (value / scale.max) * plotHeight;
  const slot = plotWidth / Math.max(1, weeks.length);
  const barWidth = Math.min(72, slot * 0.6);

  const title = 'Incidents per week';
  const desc = weeks.length === 0 ? 'No weeks to show.' : `Incidents opened per ISO week, flaps excluded: ${weeks.map((w) => `${w.week}: ${w.incidents}`).join('; ')}.`;
  const parts = [
    open(id, width, height, title, desc),
    heading(title),
    ...yAxis(scale, y, plot.left, width - plot.right, (v) => String(v)),
    axisTitleY('Incidents', plot.top + plotHeight / 2),
    axisTitleX('ISO week', width / 2, height - 12),
  ];
  weeks.forEach((w, i) => {
    const cx = plot.left + slot * (i + 0.5);
    const top = y(w.incidents);
    parts.push(
      `<rect x="${n(cx - barWidth / 2)}" y="${n(top)}" width="${n(barWidth)}" height="${n(plot.top + plotHeight - top)}" fill="${BLUE}"/>`,
      text(cx, top - 6, String(w.incidents), { anchor: 'middle', weight: 'bold' }),
      text(cx, plot.top + plotHeight + 20, oneLine(w.week, 12), { anchor: 'middle', fill: MUTED }),
    );
  });
  parts.push(`<line x1="${plot.left}" y1="${n(plot.top + plotHeight)}" x2="${width - plot.right}" y2="${n(plot.top + plotHeight)}" stroke="${INK}"/>`, '</svg>');
  return parts.join('\n');
}

/**
 * Line chart: median and p90 time to resolve per ISO week (median solid with
 * round markers, p90 dashed with square markers), each point labelled with
 * its duration; a week without resolved incidents breaks the line and reads
 * "no data".
 *
 * @example
 * timeToResolveChart([{ week: '2026-W46', median: 3600, p90: 7200 }, { week: '2026-W47', median: null, p90: null }])
 */
export function timeToResolveChart(weeks: readonly WeekDurations[], options: ChartOptions = {}): string {
  const id = safeId(options.id ?? 'ttr-trend');
  const width = 640;
  const height = 340;
  const plot = { left: 64, right: 24, top: 72, bottom: 64 };
  const plotWidth = width - plot.left - plot.right;
  const plotHeight = height - plot.top - plot.bottom;
  const values = weeks.flatMap((w) => [w.median, w.p90]).filter((v): v is number => v !== null);
  const unit = durationUnit(Math.max(0, ...values));
  const scale = niceScale(Math.max(0, ...values) / unit.seconds, false);
  const y = (valueSeconds: number): number => plot.top + plotHeight - (valueSeconds / unit.seconds / scale.max) * plotHeight;
  const slot = plotWidth / Math.max(1, weeks.length);
  const x = (i: number): number => plot.left + slot * (i + 0.5);

  const title = 'Time to resolve per week';
  const desc =
    weeks.length === 0
      ? 'No weeks to show.'
      : `Median and 90th percentile (nearest rank) of time from breach start to resolution, per ISO week: ${weeks
          .map((w) => (w.median === null ? `${w.week}: no resolved incidents` : `${w.week}: median ${formatDuration(w.median)}, p90 ${formatDuration(w.p90)}`))
          .join('; ')}.`;
  const parts = [
    open(id, width, height, title, desc),
    heading(title),
    legendEntry(plot.left, 50, 'median', BLUE, false),
    legendEntry(plot.left + 120, 50, 'p90', ORANGE, true),
    ...yAxis(scale, (v) => y(v * unit.seconds), plot.left, width - plot.right, (v) => formatTick(v)),
    axisTitleY(`Time to resolve (${unit.name})`, plot.top + plotHeight / 2),
    axisTitleX('ISO week', width / 2, height - 12),
    `<line x1="${plot.left}" y1="${n(plot.top + plotHeight)}" x2="${width - plot.right}" y2="${n(plot.top + plotHeight)}" stroke="${INK}"/>`,
  ];
  for (const series of [
    { key: 'p90' as const, color: ORANGE, dashed: true, dy: -10 },
    { key: 'median' as const, color: BLUE, dashed: false, dy: 18 },
  ]) {
    for (const segment of segments(weeks.map((w) => w[series.key]))) {
      if (segment.length < 2) continue;
      const points = segment.map(([i, v]) => `${n(x(i))},${n(y(v))}`).join(' ');
      parts.push(`<polyline points="${points}" fill="none" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    weeks.forEach((w, i) => {
      const v = w[series.key];
      if (v === null) return;
      parts.push(marker(x(i), y(v), series.color, series.dashed), text(x(i), y(v) + series.dy, formatDuration(v), { anchor: 'middle', fill: series.color, size: 11 }));
    });
  }
  weeks.forEach((w, i) => {
    parts.push(text(x(i), plot.top + plotHeight + 20, oneLine(w.week, 12), { anchor: 'middle', fill: MUTED }));
    if (w.median === null && w.p90 === null) parts.push(text(x(i), plot.top + plotHeight - 8, 'no data', { anchor: 'middle', fill: MUTED, size: 11 }));
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Horizontal bar chart: error budget left per SLO, 0–100 %, each bar with
 * its percentage (or "exhausted") as text.
 *
 * @example
 * errorBudgetChart([{ slo: 'ttft-p95', remainingFraction: 0.42, exhausted: false }])
 */
export function errorBudgetChart(budgets: readonly BudgetLeft[], options: ChartOptions = {}): string {
  const id = safeId(options.id ?? 'error-budget');
  const width = 640;
  const row = 32;
  const plot = { left: 220, right: 96, top: 48, bottom: 56 };
  const height = plot.top + Math.max(1, budgets.length) * row + plot.bottom;
  const plotWidth = width - plot.left - plot.right;
  const plotBottom = height - plot.bottom;
  const x = (fraction: number): number => plot.left + clamp01(fraction) * plotWidth;

  const title = 'Error budget left per SLO';
  const desc = budgets.length === 0 ? 'No SLOs to show.' : `Share of each SLO's error budget left at the end of the week: ${budgets.map((b) => `${b.slo}: ${budgetLabel(b)}`).join('; ')}.`;
  const parts = [open(id, width, height, title, desc), heading(title)];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${n(x(tick))}" y1="${plot.top}" x2="${n(x(tick))}" y2="${n(plotBottom)}" stroke="${GRID}"/>`,
      text(x(tick), plotBottom + 18, `${tick * 100}%`, { anchor: 'middle', fill: MUTED, size: 11 }),
    );
  }
  budgets.forEach((b, i) => {
    const top = plot.top + i * row + 6;
    const fraction = clamp01(b.remainingFraction);
    const color = fraction >= 0.5 ? '#1a7f37' : fraction >= 0.2 ? '#9a6700' : '#cf222e';
    parts.push(
      text(plot.left - 8, top + 15, oneLine(b.slo, 30), { anchor: 'end' }),
      `<rect x="${plot.left}" y="${n(top)}" width="${n(fraction * plotWidth)}" height="20" fill="${color}"/>`,
      text(x(fraction) + 6, top + 15, budgetLabel(b), { weight: 'bold' }),
    );
  });
  parts.push(
    `<line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${n(plotBottom)}" stroke="${INK}"/>`,
    axisTitleX('Error budget left (% of budget)', plot.left + plotWidth / 2, height - 12),
    '</svg>',
  );
  return parts.join('\n');
}

function budgetLabel(b: BudgetLeft): string {
  return b.exhausted ? 'exhausted' : formatPercent(clamp01(b.remainingFraction));
}

function open(id: string, width: number, height: number, title: string, desc: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT} font-size="12">`,
    `<title id="${id}-title">${escapeXml(title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(desc)}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ].join('\n');
}

function heading(title: string): string {
  return text(16, 26, title, { size: 16, weight: 'bold' });
}

interface TextStyle {
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly fill?: string;
  readonly size?: number;
  readonly weight?: 'bold';
}

function text(x: number, y: number, content: string, style: TextStyle = {}): string {
  const attrs = [`x="${n(x)}"`, `y="${n(y)}"`, `fill="${style.fill ?? INK}"`];
  if (style.anchor !== undefined && style.anchor !== 'start') attrs.push(`text-anchor="${style.anchor}"`);
  if (style.size !== undefined) attrs.push(`font-size="${style.size}"`);
  if (style.weight !== undefined) attrs.push(`font-weight="${style.weight}"`);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

function axisTitleY(label: string, centerY: number): string {
  return `<text x="16" y="${n(centerY)}" fill="${MUTED}" text-anchor="middle" transform="rotate(-90 16 ${n(centerY)})">${escapeXml(label)}</text>`;
}

function axisTitleX(label: string, centerX: number, y: number): string {
  return text(centerX, y, label, { anchor: 'middle', fill: MUTED });
}

/** Grid lines and tick labels of a vertical value axis, plus the axis line. */
function yAxis(scale: Scale, y: (value: number) => number, left: number, right: number, label: (value: number) => string): string[] {
  const out: string[] = [];
  for (let v = 0; v <= scale.max + scale.step / 2; v += scale.step) {
    const value = Number(v.toPrecision(10));
    out.push(`<line x1="${left}" y1="${n(y(value))}" x2="${right}" y2="${n(y(value))}" stroke="${GRID}"/>`, text(left - 8, y(value) + 4, label(value), { anchor: 'end', fill: MUTED, size: 11 }));
  }
  out.push(`<line x1="${left}" y1="${n(y(scale.max))}" x2="${left}" y2="${n(y(0))}" stroke="${INK}"/>`);
  return out;
}

function legendEntry(x: number, y: number, label: string, color: string, dashed: boolean): string {
  return [
    `<line x1="${x}" y1="${y - 4}" x2="${x + 28}" y2="${y - 4}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    marker(x + 14, y - 4, color, dashed),
    text(x + 36, y, label, { fill: INK }),
  ].join('\n');
}

/** Round marker for the solid series, square for the dashed one (shape, not only colour). */
function marker(x: number, y: number, color: string, square: boolean): string {
  return square ? `<rect x="${n(x - 4)}" y="${n(y - 4)}" width="8" height="8" fill="${color}"/>` : `<circle cx="${n(x)}" cy="${n(y)}" r="4" fill="${color}"/>`;
}

/** Runs of consecutive non-null values as [index, value] pairs. */
function segments(values: readonly (number | null)[]): [number, number][][] {
  const out: [number, number][][] = [];
  let current: [number, number][] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length > 0) out.push(current);
      current = [];
    } else current.push([i, v]);
  });
  if (current.length > 0) out.push(current);
  return out;
}

interface Scale {
  readonly max: number;
  readonly step: number;
}

/** An axis from 0 to a round maximum with at most five steps of 1, 2 or 5 × 10^k. */
function niceScale(max: number, integer: boolean): Scale {
  if (!(max > 0)) return { max: 1, step: integer ? 1 : 0.25 };
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const finalStep = integer ? Math.max(1, Math.ceil(step)) : step;
  return { max: Math.ceil(max / finalStep - 1e-9) * finalStep, step: finalStep };
}

/** The unit a duration axis is drawn in. */
function durationUnit(maxSeconds: number): { name: string; seconds: number } {
  if (maxSeconds >= 2 * 86_400) return { name: 'days', seconds: 86_400 };
  if (maxSeconds >= 2 * 3_600) return { name: 'hours', seconds: 3_600 };
  if (maxSeconds >= 2 * 60) return { name: 'minutes', seconds: 60 };
  return { name: 'seconds', seconds: 1 };
}

function formatTick(value: number): string {
  return String(Number(value.toPrecision(6)));
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

/** A number for an SVG attribute: at most two decimals. */
function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Element ids: letters, digits, `-` and `_` only. */
function safeId(id: string): string {
  const cleaned = id.replace(/[^A-Za-z0-9_-]/g, '-');
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `c-${cleaned}`;
}
