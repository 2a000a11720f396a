/** What a request is signed with: a Lambda's role gives all three through its environment. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** Asked before every signature: a provider that refreshes (the server library's default chain) may. */
export type CredentialsProvider = () => Promise<Credentials>;

/**
 * The credentials a lean client signs with: the ones given (static, or a provider), else the environment's
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`: how Lambda hands a function its role).
 * Nothing else is searched: profiles, SSO and instance metadata are the SDK's default chain, which the
 * server library passes in as a provider (server/) so that no Lambda bundle carries it.
 */
export function credentialsProvider(explicit?: Credentials | CredentialsProvider): CredentialsProvider {
  if (typeof explicit === 'function') return explicit;
  if (explicit) {
    const fixed = Promise.resolve(explicit);
    return () => fixed;
  }
  return async () => {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new Error(
        'No AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from ' +
          "the function's role; elsewhere pass `credentials`)",
      );
    }
    const sessionToken = process.env.AWS_SESSION_TOKEN;
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  };
}
