// The seed paths: the Django Channels URLs of the seed documents (../shared/seeds/) mapped onto the one
// WebSocket stage, as a CloudFront Function (runtime cloudfront-js-2.0). CloudFront runs it on viewer
// request; the local stack runs this very file in node:vm (edge/index.ts). Plain JavaScript on purpose:
// ES 5.1 plus const/let, arrow functions and template literals, no modules, no URL, no Node APIs.
//
// `config` is not declared here: edge/index.ts puts `const config = {...}` (the stage and the
// per-deployment choices, see docs/migration.md) in front of this file, for CloudFront and locally alike.

/** A channel name: what shared/core/protocol.ts's CHANNEL_NAME accepts after the namespace. */
const NAME = /^[A-Za-z0-9_\-.@=]{1,128}$/;

/**
 * Each seed consumer under /ws/: the channel it lands on and the dialect marker its frames are known by.
 * Django's URLconf in the seeds ends every route with `/`, so this does. (No prototype: `/ws/constructor/`
 * is no route.)
 */
const ROUTES = Object.assign(Object.create(null), {
  chat: (name) =>
    config.chat === 'chats' ? [`chat:${name}`, 'seed003.chat'] : [`room:${name}`, 'seed001.chat'],
  test: (name) => [`room:${name}`, 'seed000.test'],
  notifications: () => [
    null,
    config.notifications === '004' ? 'seed004.notifications' : 'seed001.notifications',
  ],
  counter: () => [`counter:${config.counter}`, 'seed001.counter'],
  events: (name) => [`org:${name}`, 'seed004.events'],
  'sensor-data': () => ['sensors', 'seed002.sensor-data'],
  device: (name) => [`device:${name}`, 'seed002.device'],
  sensor: (name) => [`sensor:${name}`, 'seed002.sensor'],
});

/** The consumers whose path carries a name: `/ws/{consumer}/{name}/`; the others are `/ws/{consumer}/`. */
const NAMED = { chat: true, test: true, events: true, device: true, sensor: true };

/** The parameters a seed path sets itself; a viewer's own are dropped. */
const OWN = { channels: true, dialect: true };

// biome-ignore lint/correctness/noUnusedVariables: the entry point CloudFront (and edge/index.ts) calls
function handler(event) {
  const request = event.request;
  const uri = request.uri;
  if (uri === `/${config.stage}` || uri === `/${config.stage}/`) {
    request.querystring = query(request, null, null);
    return request;
  }
  const parts = uri.split('/');
  // ['', 'ws', consumer, (name,) '']
  const consumer = parts[2];
  const named = parts.length === 5;
  if (
    parts[0] !== '' ||
    parts[1] !== 'ws' ||
    parts[parts.length - 1] !== '' ||
    (parts.length !== 4 && !named) ||
    (named && parts[3] === '') ||
    ROUTES[consumer] === undefined ||
    named !== (NAMED[consumer] === true)
  ) {
    return answer(404, 'Not Found', `No seed path ${uri}`);
  }
  const name = named ? parts[3] : '';
  if (named && !NAME.test(name)) {
    return answer(
      400,
      'Bad Request',
      `"${name.slice(0, 40)}" cannot name a channel: 1-128 of A-Z a-z 0-9 _ - . @ =`,
    );
  }
  const target = ROUTES[consumer](name);
  request.uri = `/${config.stage}`;
  request.querystring = query(request, target[0], target[1]);
  return request;
}

/**
 * The viewer's query string, kept as sent (CloudFront hands it over still percent-encoded and forwards
 * what comes back as it is), without `channels` and `dialect`; then this path's own. A bearer token in
 * an Authorization header becomes `token`: CloudFront does not forward that header (origin request
 * policies may not), and API Gateway's authorizer reads either.
 */
function query(request, channels, dialect) {
  const given = request.querystring;
  const out = {};
  let token = false;
  for (const key in given) {
    const plain = decoded(key);
    if (OWN[plain] === true && dialect !== null) continue;
    if (plain === 'token') token = true;
    out[key] = given[key];
  }
  if (channels !== null) out.channels = { value: encodeURIComponent(channels) };
  if (dialect !== null) out.dialect = { value: dialect };
  const authorization = request.headers.authorization;
  const bearer = authorization ? /^Bearer +(\S+)$/i.exec(authorization.value) : null;
  if (!token && bearer) out.token = { value: encodeURIComponent(bearer[1]) };
  return out;
}

function decoded(text) {
  try {
    return decodeURIComponent(text);
  } catch (_) {
    return text;
  }
}

/** API Gateway refuses a handshake with `{"message": …}`; so does this. */
function answer(statusCode, statusDescription, message) {
  return {
    statusCode: statusCode,
    statusDescription: statusDescription,
    headers: { 'content-type': { value: 'application/json' } },
    body: { encoding: 'text', data: JSON.stringify({ message: message }) },
  };
}
