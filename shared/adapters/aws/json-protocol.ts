import { type AwsClientOptions, AwsHttpClient, errorFromResponse } from './http';

/**
 * AWS's JSON 1.0 protocol (DynamoDB, SQS): `POST /` with `X-Amz-Target: {prefix}.{operation}` and the input
 * as JSON; a 2xx answer's JSON is the output, anything else an AwsServiceError (after the retries).
 */
export class AwsJsonClient {
  readonly #http: AwsHttpClient;
  readonly #targetPrefix: string;

  constructor(options: AwsClientOptions & { targetPrefix: string }) {
    this.#http = new AwsHttpClient(options);
    this.#targetPrefix = options.targetPrefix;
  }

  async call<O>(operation: string, input: object): Promise<O> {
    const answer = await this.#http.request({
      method: 'POST',
      path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `${this.#targetPrefix}.${operation}`,
      },
      body: JSON.stringify(input),
    });
    if (answer.status >= 300) throw errorFromResponse(answer);
    return (answer.body.length === 0 ? {} : JSON.parse(answer.body.toString('utf8'))) as O;
  }

  destroy(): void {
    this.#http.destroy();
  }
}
