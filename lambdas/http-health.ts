import { httpHandler } from '../shared/http';

export const handler = httpHandler('http-health', {
  health: async () => ({ status: 200, body: { status: 'ok' } }),
});
