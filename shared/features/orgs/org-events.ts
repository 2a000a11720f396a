import * as z from 'zod/mini';
import { hasScope, type Principal, SCOPE_PUBLISH } from '../../core/auth/principal';
import { channelIn } from '../../core/channels';
import { ProtocolError } from '../../core/errors';
import type { Attempt } from '../../core/idempotency';
import type { Operation } from '../../core/operations';
import { checkDataSize, validate } from '../../core/protocol';
import { type Publication, type PublishDeps, publish, pushAnswer } from '../../core/publish';
import type { Limits } from '../../core/settings';
import { org } from './manifest';

/**
 * Organisation events (seed 004's `broadcast_org_event`): `event` {org_id, event_type, data} on `org:{id}`,
 * which only the organisation's members may subscribe to (their token's organisations claim) and which
 * keeps the last 100 events for 7 days, so a member who reconnects recovers what it missed.
 */
export const orgEventInput = z.lazy(() =>
  z.object({
    event_type: z.string().check(z.minLength(1), z.maxLength(64)),
    data: z._default(z.record(z.string(), z.unknown()), {}),
  }),
);

export type OrgEventInput = z.input<typeof orgEventInput>;

export type OrgsDeps = PublishDeps & { config: { limits: Pick<Limits, 'maxDataBytes'> } };

export interface OrgEventOptions {
  /** A repeat with the same id within 24 h delivers nothing (the first result is returned). */
  idempotencyId?: string;
  /** The claim of the HTTP request it is published for (core/operations.ts). */
  attempt?: Attempt | undefined;
}

/** Publishes one organisation event. Throws INVALID_CHANNEL for a bad org id, INVALID_MESSAGE, PAYLOAD_TOO_LARGE. */
export async function publishOrgEvent(
  deps: OrgsDeps,
  orgId: string,
  input: OrgEventInput,
  options: OrgEventOptions = {},
): Promise<Publication> {
  const channel = channelIn(org, orgId);
  const { event_type, data } = validate(orgEventInput, input);
  checkDataSize(data, deps.config.limits.maxDataBytes);
  return publish(deps, {
    channels: [channel],
    event: { type: 'event', org_id: orgId, event_type, data },
    ...(options.idempotencyId === undefined
      ? {}
      : {
          idempotency: {
            key: `org-event#${channel.id}#${options.idempotencyId}`,
            request: { event_type, data },
          },
        }),
    attempt: options.attempt,
  });
}

/** A member of the organisation, or a service with `realtime:publish` (or admin). */
export function authorizeOrgPublish(principal: Principal, orgId: string): void {
  if (principal.orgs.includes(orgId) || hasScope(principal, SCOPE_PUBLISH)) return;
  throw new ProtocolError(
    'FORBIDDEN',
    `not a member of organisation "${orgId}", and no ${SCOPE_PUBLISH} scope`,
  );
}

/** lambdas/http-orgs.ts. */
export function orgsOperations(deps: OrgsDeps) {
  /** POST /v1/orgs/{org}/events {event_type, data} → 202 {id, channel, recipients, delivered, gone, seq}. */
  const orgEvent: Operation = async ({ principal, params, body, attempt }) => {
    const orgId = params.org ?? '';
    const channel = channelIn(org, orgId);
    authorizeOrgPublish(principal, orgId);
    const publication = await publishOrgEvent(deps, orgId, validate(orgEventInput, body), { attempt });
    return { status: 202, body: { ...pushAnswer(publication), channel: channel.id } };
  };
  return { orgEvent };
}
