import { changeCounterOperation, readCounterOperation } from '../shared/features/counters/operations';
import { httpHandler } from '../shared/http';

export const handler = httpHandler('http-counters', {
  read: readCounterOperation,
  change: changeCounterOperation,
});
