/**
 * `GET /reviews` (the weekly reviews in the records repository) and
 * `GET /reviews/{yyyy-Www}` (one review, its markdown rendered with its
 * charts: SVG files of the records repository served by
 * `GET /reviews/{yyyy-Www}/{name}.svg`, or inline `<svg>` charts).
 */
import { escapeHtml, layoutPage } from './layout';
import { renderMarkdown } from './markdown';
import { chartUrl, reviewPath } from './records-views';

/**
 * The list of weekly reviews, newest first. `weeks` is undefined when no
 * records repository is configured.
 *
 * @example
 * renderReviewList(['2026-W47', '2026-W46']);
 */
export function renderReviewList(weeks: readonly string[] | undefined): string {
  let body: string;
  if (weeks === undefined) body = '<p class="note">No records repository is configured, so there are no reviews to show.</p>';
  else if (weeks.length === 0) body = '<p class="note">No weekly review yet. Write one with <code>firebreak review weekly</code>.</p>';
  else body = `<ul>${weeks.map((w) => `<li><a href="/reviews/${escapeHtml(w)}">Week ${escapeHtml(w)}</a></li>`).join('\n')}</ul>`;
  return layoutPage({ title: 'Weekly reviews', section: 'reviews', body });
}

/**
 * One weekly review. A level-1 heading that opens the document becomes the
 * page's `h1`; its other headings follow from `h2`.
 *
 * @example
 * renderReviewPage('2026-W47', await records.read('reviews/2026-W47.md'));
 */
export function renderReviewPage(week: string, markdown: string): string {
  const path = reviewPath(week);
  const rendered = renderMarkdown(markdown, { topHeadingLevel: 2, documentPath: path, imageUrl: chartUrl, takeTitle: true });
  const fallback = `Weekly review ${week}`;
  return layoutPage({
    title: rendered.titleText ?? fallback,
    heading: rendered.titleHtml ?? escapeHtml(fallback),
    section: 'reviews',
    depth: 'item',
    body: `<p class="muted">From <code>${escapeHtml(path)}</code> in the records repository · <a href="/reviews">all reviews</a></p>\n<article class="markdown" aria-label="${escapeHtml(rendered.titleText ?? fallback)}">${rendered.html}</article>`,
  });
}
