/**
 * Builders for alert payloads in the vendors' wire formats (Alertmanager
 * webhook v4, CloudWatch EventBridge event), with times relative to now so
 * that flap holds behave as in production.
 */

export interface AmAlertSpec {
  alertname: string;
  fingerprint: string;
  status?: 'firing' | 'resolved';
  labels?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  summary?: string;
}

/** An Alertmanager webhook (version 4) carrying `alerts`, grouped by alertname. */
export function alertmanagerWebhook(alerts: AmAlertSpec[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = new Date().toISOString();
  const rendered = alerts.map((a) => ({
    status: a.status ?? 'firing',
    labels: { alertname: a.alertname, service: 'support-bot', model: 'support-llm', severity: 'page', ...a.labels },
    annotations: { summary: a.summary ?? `${a.alertname} on support-bot` },
    startsAt: a.startsAt ?? now,
    endsAt: a.status === 'resolved' ? (a.endsAt ?? now) : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.test:9090/graph?g0.expr=up',
    fingerprint: a.fingerprint,
  }));
  const first = alerts[0]!;
  const anyFiring = rendered.some((a) => a.status === 'firing');
  return {
    receiver: 'firebreak',
    status: anyFiring ? 'firing' : 'resolved',
    alerts: rendered,
    groupLabels: { alertname: first.alertname },
    commonLabels: { alertname: first.alertname, service: 'support-bot' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.test:9093',
    version: '4',
    groupKey: `{}:{alertname="${first.alertname}"}`,
    truncatedAlerts: 0,
    ...extra,
  };
}

/** A CloudWatch `Alarm State Change` event as EventBridge delivers it. */
export function cloudWatchStateChange(alarmName: string, state: 'ALARM' | 'OK', at = new Date().toISOString()): Record<string, unknown> {
  const previous = state === 'ALARM' ? 'OK' : 'ALARM';
  return {
    version: '0',
    id: `c4c1c1c9-6542-e61b-6ef0-8c4d36933a92-${alarmName}-${state}-${at}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: at.replace(/\.\d+Z$/, 'Z'),
    region: 'eu-west-1',
    resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value: state, reason: `Threshold Crossed: 1 datapoint [7.0 (${at})] was greater than the threshold (0.0).`, timestamp: at.replace('Z', '+0000') },
      previousState: { value: previous, reason: 'previous', timestamp: at.replace('Z', '+0000') },
      configuration: {
        description: `${alarmName} for support-bot`,
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: { namespace: 'Firebreak/Model', name: 'PromptInjectionDetected', dimensions: { Service: 'support-bot', ModelId: 'support-llm' } },
              period: 60,
              stat: 'Sum',
            },
            returnData: true,
          },
        ],
      },
    },
  };
}

/** A PagerDuty webhook v3 delivery about the incident PagerDuty opened for a Firebreak page (title ends with the incident id). */
export function pagerDutyWebhook(eventType: 'incident.acknowledged' | 'incident.resolved', incidentId: string, eventId = `evt-${eventType}-${incidentId}`): Record<string, unknown> {
  return {
    event: {
      id: eventId,
      event_type: eventType,
      resource_type: 'incident',
      occurred_at: new Date().toISOString(),
      agent: { id: 'PUSER01', type: 'user_reference', summary: 'Dana Oncall', self: 'https://api.pagerduty.com/users/PUSER01', html_url: 'https://acme.pagerduty.com/users/PUSER01' },
      client: null,
      data: {
        id: 'PINC001',
        type: 'incident',
        self: 'https://api.pagerduty.com/incidents/PINC001',
        html_url: 'https://acme.pagerduty.com/incidents/PINC001',
        number: 7,
        status: eventType === 'incident.resolved' ? 'resolved' : 'acknowledged',
        incident_key: null,
        created_at: new Date().toISOString(),
        title: `[SEV1] SLO prompt-injection-never-event breached on support-bot (model support-llm) [${incidentId}]`,
        urgency: 'high',
      },
    },
  };
}

/** A `/incident` slash command body, urlencoded as Slack sends it. */
export function slashCommandBody(text: string, channelId: string, userId: string, triggerId = `${Date.now()}.${Math.random()}`): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0FIREBREAK',
    team_domain: 'firebreak',
    channel_id: channelId,
    channel_name: 'incident',
    user_id: userId,
    user_name: 'responder',
    command: '/incident',
    text,
    api_app_id: 'A0FIREBREAK',
    response_url: 'https://hooks.slack.com/commands/T0FIREBREAK/1/abc',
    trigger_id: triggerId,
  }).toString();
}
