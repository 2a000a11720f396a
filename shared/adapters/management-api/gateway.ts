import { type ConnectionInfo, type Gateway, GatewayError, type PostOutcome } from '../../core/ports';
import {
  httpStatusOf,
  isGoneError,
  isRetryable,
  ManagementApiClient,
  type ManagementApiOptions,
} from './client';

/**
 * The Gateway port on the Management API: a post is delivered or gone, and any other failure becomes a
 * GatewayError saying whether another try may help. The SDK's error shapes stop here.
 */
export class ManagementApiGateway implements Gateway {
  readonly client: ManagementApiClient;

  constructor(options: ManagementApiOptions | ManagementApiClient) {
    this.client = options instanceof ManagementApiClient ? options : new ManagementApiClient(options);
  }

  async post(connectionId: string, data: Uint8Array): Promise<PostOutcome> {
    try {
      await this.client.post(connectionId, data);
      return 'delivered';
    } catch (error) {
      if (isGoneError(error)) return 'gone';
      const status = httpStatusOf(error);
      throw new GatewayError(
        error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        { retryable: isRetryable(error), ...(status === undefined ? {} : { status }) },
        { cause: error },
      );
    }
  }

  close(connectionId: string): Promise<boolean> {
    return this.client.close(connectionId);
  }

  info(connectionId: string): Promise<ConnectionInfo | null> {
    return this.client.info(connectionId);
  }

  destroy(): void {
    this.client.destroy();
  }
}
