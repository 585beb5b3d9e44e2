/**
 * SLO policy as code: schema, parsing, alert matching.
 *
 * @example
 * import { parsePolicy, toSignal } from './core/policy';
 * const signal = toSignal(parsePolicy(text, 'runbooks/slos.yaml'), observation);
 */
export {
  ActionSchema,
  AlertMatcherSchema,
  AlertmanagerMatcherSchema,
  CloudWatchMatcherSchema,
  DefaultPolicySchema,
  DurationSchema,
  ObjectiveSchema,
  PolicySchema,
  SliSchema,
  SloSchema,
  formatDuration,
  type Action,
  type AlertMatcher,
  type DefaultPolicy,
  type Policy,
  type Slo,
} from './schema';
export { SeveritySchema, type Severity } from './severity';
export { parsePolicy } from './load';
export { matchAlert, type PolicyMatch } from './match';
export { toSignal } from './to-signal';
