import { z } from 'zod';
import { hasScope, type Principal, SCOPE_PUBLISH } from '../../auth/principal';
import { parseChannel } from '../../channels';
import type { Deps } from '../../domain/context';
import { idempotencyKey, type PublishResult, publishEvent } from '../../domain/publish';
import { ProtocolError } from '../../errors';
import type { Operation } from '../../http';
import { checkDataSize, validate } from '../../protocol';

/**
 * Organisation events (seed 004's `broadcast_org_event`): `event` {org_id, event_type, data} on `org:{id}`,
 * which only the organisation's members may subscribe to (their token's organisations claim) and which
 * keeps the last 100 events for 7 days, so a member who reconnects recovers what it missed.
 */
export const orgEventInput = z.object({
  event_type: z.string().min(1).max(64),
  data: z.record(z.string(), z.unknown()).default({}),
});

export type OrgEventInput = z.input<typeof orgEventInput>;

export interface OrgEventOptions {
  /** A repeat with the same id within 24 h delivers nothing (the first result is returned). */
  idempotencyId?: string;
}

/** Publishes one organisation event. Throws INVALID_CHANNEL for a bad org id, INVALID_MESSAGE, PAYLOAD_TOO_LARGE. */
export async function publishOrgEvent(
  deps: Deps,
  orgId: string,
  input: OrgEventInput,
  options: OrgEventOptions = {},
): Promise<PublishResult> {
  const channel = parseChannel(`org:${orgId}`);
  const { event_type, data } = validate(orgEventInput, input);
  checkDataSize(data, deps.config.limits.maxDataBytes);
  return publishEvent(deps, {
    channel,
    event: { type: 'event', org_id: orgId, event_type, data },
    ...(options.idempotencyId === undefined
      ? {}
      : { idempotencyKey: idempotencyKey(`org-event#${channel.id}`, options.idempotencyId) }),
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

/** POST /v1/orgs/{org}/events {event_type, data} → 202 {id, recipients, delivered}. */
export const postOrgEventOperation: Operation = async ({ deps, principal, params, body }) => {
  const orgId = params.org ?? '';
  const channel = parseChannel(`org:${orgId}`);
  authorizeOrgPublish(principal, orgId);
  const result = await publishOrgEvent(deps, orgId, validate(orgEventInput, body));
  return {
    status: 202,
    body: {
      id: result.id,
      channel: channel.id,
      seq: result.seq,
      recipients: result.recipients,
      delivered: result.delivered,
    },
  };
};
