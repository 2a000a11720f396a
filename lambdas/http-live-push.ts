import {
  livePushStatusOperation,
  startLivePushOperation,
  stopLivePushOperation,
} from '../shared/features/live-stats/operations';
import { httpHandler } from '../shared/http';

export const handler = httpHandler('http-live-push', {
  status: livePushStatusOperation,
  start: startLivePushOperation,
  stop: stopLivePushOperation,
});
