import { firebreakUrl, unreachable } from './firebreak-url';
import type { CliIo } from './io';

interface IncidentSummary {
  id: string;
  status: string;
  severity: string;
  key: { slo: string; service: string; model: string };
  mapped: boolean;
  openedAt: string;
  title: string;
}

interface TimelineLine {
  at: string;
  kind: string;
  actor: string;
  message: string;
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as unknown };
}

/**
 * `firebreak incidents [show ID] [--url URL]`: lists incidents of a running
 * Firebreak (default `FIREBREAK_URL` or http://127.0.0.1:8787), or prints one
 * with its timeline.
 */
export async function incidentsCommand(args: string[], io: CliIo): Promise<number> {
  const urlFlag = args.indexOf('--url');
  const base = firebreakUrl(urlFlag >= 0 ? args[urlFlag + 1] : undefined);
  const rest = urlFlag >= 0 ? args.filter((_, i) => i !== urlFlag && i !== urlFlag + 1) : args;
  try {
    if (rest.length === 0) {
      const { body } = await getJson(`${base}/incidents`);
      const incidents = (body as { incidents: IncidentSummary[] }).incidents;
      if (incidents.length === 0) io.stdout('no incidents in the last four weeks\n');
      for (const i of incidents) {
        io.stdout(`${i.id}  ${i.status.padEnd(12)} ${i.severity}  ${i.key.slo}${i.mapped ? '' : ' (unmapped)'}  ${i.key.service}/${i.key.model}  opened ${i.openedAt}\n`);
      }
      return 0;
    }
    if (rest[0] === 'show' && rest[1] !== undefined) {
      const { status, body } = await getJson(`${base}/incidents/${encodeURIComponent(rest[1])}`);
      if (status === 404) {
        io.stderr(`firebreak incidents: no incident ${rest[1]}\n`);
        return 1;
      }
      const { incident, timeline } = body as { incident: IncidentSummary; timeline: TimelineLine[] };
      io.stdout(`${incident.id}  ${incident.status}  ${incident.severity}\n${incident.title}\n\n`);
      for (const e of timeline) io.stdout(`${e.at}  ${e.kind.padEnd(18)} ${e.actor.padEnd(12)} ${e.message}\n`);
      return 0;
    }
    io.stderr('usage: firebreak incidents [show ID] [--url URL]\n');
    return 2;
  } catch (error) {
    io.stderr(unreachable('firebreak incidents', base, error));
    return 1;
  }
}
