import { httpHandler } from '../shared/http';
import { historyOperation } from '../shared/operations/channels';
import { presenceOperation } from '../shared/operations/presence';

export const handler = httpHandler('http-channels', {
  history: historyOperation,
  presence: presenceOperation,
});
