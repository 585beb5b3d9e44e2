/**
 * The channel message about harvested cases: ids, taxonomy and short
 * redacted excerpts only (at most ten listed).
 *
 * @example
 * await channel.postToThread(ref, harvestAnnouncement(['case-… LLM01:2025 jailbreak/persona-dan: "…"'], url));
 */
export function harvestAnnouncement(lines: readonly string[], link?: string): string {
  const listed = lines.slice(0, 10).map((l) => `• ${l}`);
  return (
    `${lines.length} regression case(s) from this incident's failing prompts (redacted, classified, deduplicated)` +
    `${link === undefined ? '' : `: ${link}`}\n${listed.join('\n')}${lines.length > 10 ? `\n… and ${lines.length - 10} more` : ''}`
  );
}
