import { statsOperation } from '../shared/features/admin/operations';
import { httpHandler } from '../shared/http';

export const handler = httpHandler('http-stats', {
  stats: statsOperation,
});
