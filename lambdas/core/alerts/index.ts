/**
 * Alert intake: parsers that turn Alertmanager and CloudWatch deliveries into
 * `AlertObservation`s. Pure: no I/O, no clock.
 */
export {
  AlertFormatSchema,
  AlertObservationSchema,
  AlertSourceSchema,
  AlertStatusSchema,
  type AlertFormat,
  type AlertObservation,
  type AlertSource,
  type AlertStatus,
  type ParsedDelivery,
} from './observation';
export {
  AlertmanagerAlertSchema,
  AlertmanagerWebhookSchema,
  parseAlertmanagerWebhook,
  type AlertmanagerAlert,
  type AlertmanagerWebhook,
} from './alertmanager';
export {
  AlarmStateChangeDetailSchema,
  CloudWatchAlarmActionEventSchema,
  CloudWatchEventBridgeEventSchema,
  CloudWatchSnsAlarmMessageSchema,
  LambdaSnsEventSchema,
  SnsNotificationSchema,
  parseCloudWatchAlarm,
} from './cloudwatch';
export { formatIssuePath, normaliseTimestamp, toInputIssues } from './zod-issues';
