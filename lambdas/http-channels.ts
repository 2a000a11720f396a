import { httpHandler } from '../shared/http';
import { historyOperation } from '../shared/operations/channels';

export const handler = httpHandler('http-channels', {
  history: historyOperation,
});
