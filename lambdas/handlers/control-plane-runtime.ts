import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDbControlWriteLock, DynamoDbModelControlPlane } from '../adapters/dynamodb-model-control-plane';
import { SsmModelControlPlane } from '../adapters/ssm-model-control-plane';
import { createDocumentClient } from '../adapters/dynamodb-client';
import type { ActionDeps } from '../core/containment/actions';
import { ConfigurationError } from '../core/errors';
import type { ModelControlPlane } from '../core/model-control';
import { runtime } from './runtime';

let cached: { key: string; plane: ModelControlPlane } | undefined;

/**
 * The model control plane named by `FIREBREAK_CONTROL_PLANE`:
 * `dynamodb` (the embedded target: the incident table) or `ssm`
 * (`FIREBREAK_CONTROL_PLANE_SSM_PREFIX`, default `/firebreak/models`).
 */
export function controlPlane(): ModelControlPlane {
  const kind = process.env.FIREBREAK_CONTROL_PLANE ?? 'dynamodb';
  const key = [kind, process.env.TABLE_NAME, process.env.FIREBREAK_CONTROL_PLANE_SSM_PREFIX, process.env.AWS_ENDPOINT_URL_DYNAMODB].join('\u0000');
  if (cached?.key === key) return cached.plane;
  let plane: ModelControlPlane;
  switch (kind) {
    case 'dynamodb':
      plane = new DynamoDbModelControlPlane(createDocumentClient(), process.env.TABLE_NAME ?? '');
      break;
    case 'ssm':
      // SSM cannot compare-and-set: Firebreak's writers take a lease on the incident table first.
      plane = new SsmModelControlPlane(new SSMClient({}), {
        prefix: process.env.FIREBREAK_CONTROL_PLANE_SSM_PREFIX ?? '/firebreak/models',
        lock: new DynamoDbControlWriteLock(createDocumentClient(), process.env.TABLE_NAME ?? ''),
      });
      break;
    default:
      // sagemaker and lambda-alias adapters exist, but each needs the endpoint/function mapping wired here first.
      throw new ConfigurationError(`FIREBREAK_CONTROL_PLANE=${kind} is not one this build can use yet (dynamodb, ssm)`);
  }
  cached = { key, plane };
  return plane;
}

/** Ports of the model actions. */
export function actionDeps(): ActionDeps {
  const rt = runtime();
  return { store: rt.store, clock: rt.clock, control: controlPlane() };
}
