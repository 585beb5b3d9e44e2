/**
 * The shared layout of the embedded target's pages: one accessible HTML
 * document shape (language, skip link, landmarks, one `h1`), the style sheet,
 * and the helpers every page uses to write text safely (`escapeHtml`),
 * instants (`<time>`) and durations.
 *
 * Pages carry no scripts at all: they are complete and readable without
 * JavaScript, and the server sends them with a Content-Security-Policy that
 * forbids scripts (see {@link PAGE_SECURITY_HEADERS}).
 */

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @example
 * escapeHtml('<script>alert("x")</script>') // => '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * Headers sent with every page: no scripts, no plugins, no framing, images
 * and forms only from this origin, inline styles (the layout's own) allowed.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Where a page sits in the site navigation: marks the current link with `aria-current`. */
export type Section = 'incidents' | 'reviews';

/** What {@link layoutPage} needs. */
export interface PageContent {
  /** Document title (before ` · Firebreak`) and, unless `heading` is given, the text of the page's `h1`. */
  readonly title: string;
  /** Inner HTML of the `h1`, when it differs from the escaped title. */
  readonly heading?: string;
  /** Safe HTML placed after the `h1`, inside `<main>`. */
  readonly body: string;
  readonly section: Section;
  /**
   * `index` when the page is the section's own list (its navigation link
   * gets `aria-current="page"`), `item` for a page inside the section (the
   * link gets `aria-current="true"`). Default `index`.
   */
  readonly depth?: 'index' | 'item';
}

// Colours are chosen for contrast on white: body text 16:1, muted text 7.4:1,
// links 6.4:1, every status badge above 7:1. Status is always written as a
// word too, never told by colour alone.
const STYLE = `
:root{color-scheme:light}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1b1b;background:#fff}
.skip{position:absolute;left:-10000px;top:0;padding:.5rem 1rem;background:#1b1b1b;color:#fff}
.skip:focus{left:1rem;top:1rem}
header,main,footer{max-width:64rem;margin:0 auto;padding:0 1rem}
header{display:flex;gap:2rem;align-items:baseline;border-bottom:1px solid #c4c4c4;padding-top:.75rem;padding-bottom:.75rem}
header .brand{font-weight:700;color:#1b1b1b;text-decoration:none}
nav ul{display:flex;gap:1.25rem;list-style:none;margin:0;padding:0}
nav a[aria-current]{font-weight:700;text-decoration-thickness:3px}
a{color:#0b57d0}a:visited{color:#5b2ea6}
a:focus-visible,main:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
h1{font-size:1.75rem;line-height:1.25;margin:1.5rem 0 .5rem}
h2{font-size:1.35rem;margin:2rem 0 .5rem;border-bottom:1px solid #c4c4c4;padding-bottom:.25rem}
h3{font-size:1.15rem;margin:1.5rem 0 .5rem}
h4,h5,h6{font-size:1rem;margin:1.25rem 0 .5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{text-align:left;vertical-align:top;padding:.4rem .6rem;border-bottom:1px solid #c4c4c4}
thead th{border-bottom:2px solid #1b1b1b}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.5rem}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
.muted{color:#545454}th .muted{font-weight:400}
td time{white-space:nowrap}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
figure.chart{margin:1rem 0}
.status{display:inline-block;font-weight:600;padding:0 .4rem;border-radius:.25rem;background:#eee;color:#1b1b1b}
.status-open{background:#fde8e8;color:#8a1c1c}
.status-acknowledged{background:#fff4d6;color:#6b4100}
.status-mitigated{background:#e3f0fc;color:#0b4a85}
.status-resolved,.status-closed{background:#e6f4ea;color:#1e5e2e}
.note{border-left:4px solid #545454;background:#f4f4f4;padding:.5rem 1rem}
.warning{border-left:4px solid #8a1c1c;background:#fde8e8;padding:.5rem 1rem}
ol.timeline{padding-left:1.5rem}ol.timeline li{margin:.25rem 0}
.markdown img,.markdown svg{max-width:100%;height:auto}
.markdown pre{background:#f4f4f4;padding:.75rem;overflow-x:auto}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em}
del{color:#545454}
footer{margin-top:3rem;border-top:1px solid #c4c4c4;padding-top:.75rem;padding-bottom:2rem;color:#545454}
@media (prefers-reduced-motion:reduce){*{scroll-behavior:auto}}
`;

function navLink(href: string, label: string, current: 'page' | 'true' | undefined): string {
  return `<li><a href="${href}"${current === undefined ? '' : ` aria-current="${current}"`}>${label}</a></li>`;
}

/**
 * A whole HTML document around a page's content: `lang`, a skip link to
 * `<main>`, site navigation, one `h1`, no scripts.
 *
 * @example
 * layoutPage({ title: 'Incidents', section: 'incidents', body: '<p>None.</p>' });
 */
export function layoutPage(content: PageContent): string {
  const current = content.depth === 'item' ? 'true' : 'page';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(content.title)} · Firebreak</title>
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><a class="brand" href="/">Firebreak</a>
<nav aria-label="Site"><ul>${navLink('/', 'Incidents', content.section === 'incidents' ? current : undefined)}${navLink('/reviews', 'Weekly reviews', content.section === 'reviews' ? current : undefined)}</ul></nav>
</header>
<main id="main" tabindex="-1">
<h1>${content.heading ?? escapeHtml(content.title)}</h1>
${content.body}
</main>
<footer><p>Firebreak embedded target · <a href="/incidents">incidents as JSON</a> · <a href="/metrics">metrics</a></p></footer>
</body>
</html>
`;
}

/**
 * A `<time>` element for an ISO-8601 instant, shown as `2026-11-21 10:00:05 UTC`.
 * Text that is not an instant is shown escaped, without `datetime`.
 *
 * @example
 * timeElement('2026-11-21T10:00:05.000Z') // => '<time datetime="2026-11-21T10:00:05.000Z">2026-11-21 10:00:05 UTC</time>'
 */
export function timeElement(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return escapeHtml(iso);
  const shown = `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return `<time datetime="${escapeHtml(at.toISOString())}">${shown}</time>`;
}

/**
 * Milliseconds written for people, two units at most: `45 s`, `2 min 5 s`,
 * `1 h 3 min`, `2 d 4 h`.
 *
 * @example
 * formatDuration(125_000) // => '2 min 5 s'
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const units: readonly [string, number][] = [
    ['d', Math.floor(total / 86_400)],
    ['h', Math.floor((total % 86_400) / 3_600)],
    ['min', Math.floor((total % 3_600) / 60)],
    ['s', total % 60],
  ];
  const first = units.findIndex(([, count]) => count > 0);
  if (first === -1) return '0 s';
  return units
    .slice(first, first + 2)
    .filter(([, count], i) => i === 0 || count > 0)
    .map(([unit, count]) => `${count} ${unit}`)
    .join(' ');
}

/** ISO-8601 duration for a `<time datetime>` (`PT2M5S`). */
function isoDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `PT${h > 0 ? `${h}H` : ''}${m > 0 ? `${m}M` : ''}${s > 0 || (h === 0 && m === 0) ? `${s}S` : ''}`;
}

/**
 * The time from one instant to another as a `<time>` duration element, or
 * `not yet` (muted) when the second instant is missing.
 *
 * @example
 * durationElement('2026-11-21T10:00:00Z', '2026-11-21T10:02:05Z') // => '<time datetime="PT2M5S">2 min 5 s</time>'
 */
export function durationElement(from: string, to: string | undefined): string {
  if (to === undefined) return '<span class="muted">not yet</span>';
  const ms = Date.parse(to) - Date.parse(from);
  if (Number.isNaN(ms)) return '<span class="muted">unknown</span>';
  return `<time datetime="${isoDuration(ms)}">${formatDuration(ms)}</time>`;
}

/**
 * A status written as a word in a badge (the colour only repeats it).
 *
 * @example
 * statusBadge('open') // => '<span class="status status-open">open</span>'
 */
export function statusBadge(status: string): string {
  const safe = escapeHtml(status);
  return `<span class="status status-${safe.replace(/[^a-z]/g, '')}">${safe}</span>`;
}
