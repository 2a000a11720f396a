import { notifyOperation } from '../shared/features/notifications/notify';
import { httpHandler } from '../shared/http';

export const handler = httpHandler('http-notifications', {
  notify: notifyOperation,
});
