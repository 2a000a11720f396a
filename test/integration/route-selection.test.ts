import { describe, expect, it } from 'vitest';
import { createRouteSelector } from '../../local/route-selection';
import { ROUTE_SELECTION_EXPRESSION, webSocketRoutes } from '../../shared/app/routes';

const select = createRouteSelector(ROUTE_SELECTION_EXPRESSION, webSocketRoutes);

describe('route selection by $request.body.type', () => {
  it.each([
    ['{"type":"ping"}', 'ping'],
    ['{"type":"subscribe","channel":"room:a"}', 'subscribe'],
    ['{"type":"no-such-route"}', '$default'],
    ['{"type":"$connect"}', '$default'],
    ['{"type":"$disconnect"}', '$default'],
    ['{"type":5}', '$default'],
    ['{"content":"hi"}', '$default'],
    ['["ping"]', '$default'],
    ['"ping"', '$default'],
    ['not json', '$default'],
    ['', '$default'],
  ])('%s goes to %s', (body, routeKey) => {
    expect(select(body).routeKey).toBe(routeKey);
  });

  it('takes nested paths, and refuses expressions it cannot evaluate', () => {
    const nested = createRouteSelector('$request.body.meta.kind', webSocketRoutes);
    expect(nested('{"meta":{"kind":"ping"}}').routeKey).toBe('ping');
    expect(() => createRouteSelector('$request.header.X', webSocketRoutes)).toThrow(/Unsupported/);
  });
});
