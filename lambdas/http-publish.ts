import { httpHandler } from '../shared/http';
import { publishOperation } from '../shared/operations/publish';

export const handler = httpHandler('http-publish', {
  publish: publishOperation,
});
