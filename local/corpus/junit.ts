import type { ReplayResult } from './replay';

/**
 * JUnit XML for a corpus replay, the format CI systems (GitHub Actions test
 * reporters, GitLab, Jenkins) render as a test report: one `<testcase>` per
 * regression case, classname `<owasp>.<category>`, name the case id.
 *
 * Harmful prompt text never goes into the report: a case is named by its id
 * and taxonomy, and the only text of its input is the case's redacted
 * excerpt, cut to {@link MAX_EXCERPT_CHARS} characters. The model's response
 * is not written either (a vulnerable model echoes the attack back); the
 * judge's reason says what was wrong with it.
 */

/** Longest input excerpt written to the report. */
export const MAX_EXCERPT_CHARS = 120;
/** Longest reason written to the report (a judge's reason is one sentence; an HTTP error body is cut). */
export const MAX_REASON_CHARS = 300;

/** The name of the test suite. */
export const JUNIT_SUITE_NAME = 'firebreak-corpus';

/** Options of {@link toJUnitXml}. */
export interface JUnitOptions {
  /** `timestamp` attribute of the suite (ISO-8601, when the replay started). */
  readonly startedAt?: Date;
  /** The endpoint replayed against, written as a suite property. */
  readonly target?: string;
  /** The model asked for, written as a suite property. */
  readonly model?: string;
}

// XML 1.0 allows tab, LF, CR and code points from U+0020 up (minus surrogates and U+FFFE/U+FFFF).
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escapes text for XML: `& < > " '` become entities and characters XML 1.0
 * cannot carry become U+FFFD. In an attribute (the default) tab, CR and LF
 * become character references too, so a parser keeps them instead of
 * normalising them to spaces; in element text they stay as they are.
 *
 * @example
 * escapeXml('a < b & "c"') // => 'a &lt; b &amp; &quot;c&quot;'
 * escapeXml('line 1\nline 2', 'text') // => 'line 1\nline 2'
 */
export function escapeXml(text: string, context: 'attribute' | 'text' = 'attribute'): string {
  const escaped = text
    .replace(INVALID_XML_CHARS, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
  return context === 'text' ? escaped : escaped.replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/**
 * Cuts `text` to at most `max` characters (an ellipsis marks the cut),
 * without splitting a surrogate pair, and folds whitespace runs to one space.
 *
 * @example
 * clip('one   two three', 8) // => 'one two…'
 */
export function clip(text: string, max: number): string {
  const folded = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(folded);
  if (chars.length <= max) return folded;
  return `${chars.slice(0, Math.max(max - 1, 0)).join('')}…`;
}

const seconds = (ms: number): string => (Math.max(ms, 0) / 1000).toFixed(3);

/**
 * Renders replay results as a JUnit XML document: a judge's failure is a
 * `<failure>`, a transport problem (HTTP error, timeout, a body that is not a
 * chat completion) an `<error>`; both make the gate fail.
 *
 * @example
 * const xml = toJUnitXml(results, { startedAt: new Date(), target: 'http://127.0.0.1:8788', model: 'support-llm' });
 * await writeFile('firebreak-replay.junit.xml', xml);
 */
export function toJUnitXml(results: readonly ReplayResult[], options: JUnitOptions = {}): string {
  const failures = results.filter((r) => r.outcome === 'failed').length;
  const errors = results.filter((r) => r.outcome === 'error').length;
  const total = results.reduce((sum, r) => sum + r.durationMs, 0);
  const suiteAttributes = [
    `name="${JUNIT_SUITE_NAME}"`,
    `tests="${results.length}"`,
    `failures="${failures}"`,
    `errors="${errors}"`,
    'skipped="0"',
    `time="${seconds(total)}"`,
    ...(options.startedAt === undefined ? [] : [`timestamp="${escapeXml(options.startedAt.toISOString())}"`]),
  ].join(' ');
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${JUNIT_SUITE_NAME}" tests="${results.length}" failures="${failures}" errors="${errors}" time="${seconds(total)}">`,
    `  <testsuite ${suiteAttributes}>`,
  ];
  const properties = [
    ...(options.target === undefined ? [] : [['target', options.target] as const]),
    ...(options.model === undefined ? [] : [['model', options.model] as const]),
  ];
  if (properties.length > 0) {
    lines.push('    <properties>');
    for (const [name, value] of properties) lines.push(`      <property name="${escapeXml(name)}" value="${escapeXml(value)}"/>`);
    lines.push('    </properties>');
  }
  for (const r of results) {
    const open = `    <testcase classname="${escapeXml(`${r.owasp}.${r.category}`)}" name="${escapeXml(r.caseId)}" time="${seconds(r.durationMs)}"`;
    const excerpt = clip(r.excerpt, MAX_EXCERPT_CHARS);
    const body = `technique: ${r.technique}\ndetector: ${r.detector}\ninput (redacted excerpt): ${excerpt}`;
    if (r.outcome === 'passed') {
      lines.push(`${open}/>`);
      continue;
    }
    const element = r.outcome === 'failed' ? 'failure' : 'error';
    const type = r.outcome === 'failed' ? 'RegressionCaseFailed' : 'ReplayRequestError';
    lines.push(`${open}>`);
    lines.push(`      <${element} message="${escapeXml(clip(r.reason, MAX_REASON_CHARS))}" type="${type}">${escapeXml(body, 'text')}</${element}>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
