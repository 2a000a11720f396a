import { locationOperation, roomMessageOperation } from '../shared/features/rooms/rest-push';
import { httpHandler } from '../shared/http';

export const handler = httpHandler('http-rooms', {
  roomMessage: roomMessageOperation,
  location: locationOperation,
});
