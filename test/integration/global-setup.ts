import type { TestProject } from 'vitest/node';
import { startDynamoDb } from '../../local/dynamodb';
import { DYNAMODB_PIPELINE, startLocalStack } from '../../local/index';
import { createLog } from '../../local/log';

/**
 * One DynamoDB Local and one local stack for the whole integration run (DynamoDB Local takes ~2 s and
 * ~400 MB; two cores). Tests share them and isolate themselves by unique channel and user names; a test
 * that needs other options starts its own stack on this same DynamoDB (see support/stack.ts).
 */
export const SHARED_TABLE = 'switchboard-it';

export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const db = await startDynamoDb({ dataDir: '', memory: true, log: createLog('warn') });
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack({
      port: 0,
      memory: true,
      dynamodbEndpoint: db.endpoint,
      tableName: SHARED_TABLE,
      logLevel: 'error',
      // Its own DynamoDB Local: pipelined as the one a stack starts itself is (local/index.ts).
      env: { LOG_LEVEL: 'SILENT', DYNAMODB_PIPELINE: String(DYNAMODB_PIPELINE) },
    });
  } catch (error) {
    // Without this, DynamoDB Local outlives the failed run and vitest waits for it instead of exiting.
    await db.stop();
    throw error;
  }
  project.provide('dynamodbEndpoint', db.endpoint);
  project.provide('tableName', SHARED_TABLE);
  project.provide('httpUrl', stack.httpUrl);
  project.provide('wsUrl', stack.wsUrl);
  project.provide('callbackUrl', stack.callbackUrl);
  project.provide('credentials', stack.credentials);
  return async () => {
    await stack.stop();
    await db.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    tableName: string;
    httpUrl: string;
    wsUrl: string;
    callbackUrl: string;
    /** The shared stack's own credentials, which its Management API verifies signatures against. */
    credentials: { accessKeyId: string; secretAccessKey: string };
  }
}
