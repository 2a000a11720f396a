import { postOrgEventOperation } from '../shared/features/orgs/events';
import { httpHandler } from '../shared/http';

export const handler = httpHandler('http-orgs', {
  orgEvent: postOrgEventOperation,
});
