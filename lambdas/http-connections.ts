import { closeConnectionOperation } from '../shared/features/admin/operations';
import { httpHandler } from '../shared/http';

export const handler = httpHandler('http-connections', {
  close: closeConnectionOperation,
});
