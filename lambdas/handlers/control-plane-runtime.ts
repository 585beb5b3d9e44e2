import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SSMClient } from '@aws-sdk/client-ssm';
import { LambdaAliasModelControlPlane } from '../adapters/lambda-alias-model-control-plane';
import { SageMakerModelControlPlane } from '../adapters/sagemaker-model-control-plane';
import { DynamoDbControlWriteLock, DynamoDbModelControlPlane } from '../adapters/dynamodb-model-control-plane';
import { SsmModelControlPlane } from '../adapters/ssm-model-control-plane';
import { awsClientSettingsGeneration } from '../adapters/aws-client-settings';
import { createDocumentClient } from '../adapters/dynamodb-client';
import type { ActionDeps } from '../core/containment/actions';
import { ConfigurationError } from '../core/errors';
import type { ModelControlPlane } from '../core/model-control';
import { SplitModelControlPlane } from '../core/split-control-plane';
import { runtime } from './runtime';

let cached: { key: string; plane: ModelControlPlane } | undefined;

/**
 * Parses `FIREBREAK_MODEL_TARGETS` (`support-llm=chat-prod,other=chat-b`)
 * into a lookup; a model not listed maps to its own name.
 *
 * @example
 * modelTargets('support-llm=chat-prod')('support-llm') // => 'chat-prod'
 */
export function modelTargets(value: string | undefined): (model: string) => string {
  const map = new Map<string, string>();
  for (const pair of (value ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [model, target, ...extra] = pair.split('=');
    if (!model || !target || extra.length > 0) throw new ConfigurationError(`FIREBREAK_MODEL_TARGETS: expected model=endpoint-or-function pairs, got "${pair}"`);
    map.set(model, target);
  }
  return (model) => map.get(model) ?? model;
}

/**
 * The model control plane named by `FIREBREAK_CONTROL_PLANE`:
 * - `dynamodb` (the embedded target: the incident table);
 * - `ssm`: one document per model under `FIREBREAK_CONTROL_PLANE_SSM_PREFIX`
 *   (default `/firebreak/models`);
 * - `sagemaker` / `lambda-alias`: traffic on the SageMaker endpoint's variant
 *   weights or the Lambda alias (`FIREBREAK_MODEL_ALIAS`, default `live`) of
 *   the endpoint or function `FIREBREAK_MODEL_TARGETS` names, switches and
 *   known-good marks in the model's SSM document (`SplitModelControlPlane`).
 */
export function controlPlane(): ModelControlPlane {
  const kind = process.env.FIREBREAK_CONTROL_PLANE ?? 'dynamodb';
  const key = [kind, process.env.TABLE_NAME, process.env.FIREBREAK_CONTROL_PLANE_SSM_PREFIX, process.env.FIREBREAK_MODEL_TARGETS, process.env.FIREBREAK_MODEL_ALIAS, process.env.AWS_ENDPOINT_URL_DYNAMODB, awsClientSettingsGeneration()].join('\u0000');
  if (cached?.key === key) return cached.plane;
  let plane: ModelControlPlane;
  switch (kind) {
    case 'dynamodb':
      plane = new DynamoDbModelControlPlane(createDocumentClient(), process.env.TABLE_NAME ?? '');
      break;
    case 'ssm':
      plane = ssmDocuments();
      break;
    case 'sagemaker':
      plane = new SplitModelControlPlane(ssmDocuments(), new SageMakerModelControlPlane(new SageMakerClient({}), { endpointOf: modelTargets(process.env.FIREBREAK_MODEL_TARGETS) }));
      break;
    case 'lambda-alias':
      plane = new SplitModelControlPlane(
        ssmDocuments(),
        new LambdaAliasModelControlPlane(new LambdaClient({}), { functionOf: modelTargets(process.env.FIREBREAK_MODEL_TARGETS), alias: process.env.FIREBREAK_MODEL_ALIAS || 'live' }),
      );
      break;
    default:
      throw new ConfigurationError(`FIREBREAK_CONTROL_PLANE must be one of dynamodb, ssm, sagemaker, lambda-alias (got "${kind}")`);
  }
  cached = { key, plane };
  return plane;
}

/** The models' SSM control documents. SSM cannot compare-and-set: Firebreak's writers take a lease on the incident table first. */
function ssmDocuments(): SsmModelControlPlane {
  return new SsmModelControlPlane(new SSMClient({}), {
    prefix: process.env.FIREBREAK_CONTROL_PLANE_SSM_PREFIX ?? '/firebreak/models',
    lock: new DynamoDbControlWriteLock(createDocumentClient(), process.env.TABLE_NAME ?? ''),
  });
}

/** Ports of the model actions. */
export function actionDeps(): ActionDeps {
  const rt = runtime();
  return { store: rt.store, clock: rt.clock, control: controlPlane() };
}
