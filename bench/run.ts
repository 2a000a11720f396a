/**
 * `npm run bench`: the performance figures of the project, printed as tables. Each part bounds itself in
 * count and time and runs on loopback only. `npm run bench -- post`, `-- fanout`, `-- client`, `-- lambdas`,
 * `-- cost` (DynamoDB, Lambda and API Gateway work per operation, priced), `-- burst` or `-- dynamodb`
 * (DynamoDB Local's own CPU per connect, the floor under `burst`) runs one part.
 * `npm run bench -- scale [--subscribers N] [--quota R] [--latency-ms L]` (bench/scale.ts, a minute or two)
 * runs only when named.
 */
import { benchBurst } from './burst';
import { benchClientSize } from './client-size';
import { benchCost, costModel } from './cost';
import { benchDynamoDbLocal, dynamoDbLocalFloor } from './dynamodb-local';
import { benchLambdas, lambdasReport, loadAverage, machine } from './lambdas';
import { benchLocalFanOut } from './local-fanout';
import { benchPostPaths } from './post-path';
import { runScaleBench } from './scale';

const only = process.argv[2];

if (only === 'scale') await runScaleBench(process.argv.slice(3));

if (!only || only === 'post') {
  const rows = await benchPostPaths();
  console.log('\nCost of one PostToConnection, client side (stub Management API in another process)\n');
  console.table(rows);
  const [sdk, lean] = rows;
  if (sdk && lean) {
    console.log(
      `lean path: ${(sdk.cpuMicrosPerPost / lean.cpuMicrosPerPost).toFixed(1)}x less CPU per delivery than the SDK ` +
        `(~${Math.round(1e6 / lean.cpuMicrosPerPost)} deliveries per CPU-second vs ~${Math.round(1e6 / sdk.cpuMicrosPerPost)})`,
    );
  }
}

if (!only || only === 'fanout') {
  console.log('\nFan-out through the local stack: WebSocket subscribers on one room, publishes over HTTP\n');
  console.table([await benchLocalFanOut()]);
  console.log(
    '(reference: the Django Channels system this replaces, 6.2k deliveries/s at 1,000 subscribers)',
  );
}

if (!only || only === 'client') {
  const size = await benchClientSize();
  console.log('\nSize of the client SDK, as a browser downloads it\n');
  console.table([size]);
  console.log(`switchboard/client: ${(size.gzipBytes / 1024).toFixed(2)} KB gzipped (budget 8 KB)`);
}

if (!only || only === 'lambdas') {
  console.log(
    '\nEvery function bundled as the CDK stack bundles it, and imported cold, beside its bare SDK clients\n',
  );
  console.log(`Machine: ${machine()}; load average ${loadAverage()} at the start`);
  const results = await benchLambdas();
  console.log(`Load average ${loadAverage()} at the end\n`);
  console.log(lambdasReport(results));
  // Last line: the results as JSON, one object per function, for tests and docs.
  console.log(JSON.stringify(results));
}

if (only === 'cost' || !only) {
  console.log(
    '\nWhat one operation costs: DynamoDB requests and capacity units, Lambda, API Gateway (local stack)\n',
  );
  const results = await benchCost();
  console.table(
    results.map(({ requests, dollars, ...r }) => ({
      ...r,
      microDollars: Number((dollars * 1e6).toFixed(3)),
    })),
  );
  for (const r of results) console.log(`${r.operation}: ${r.requests}`);
  const model = costModel(results);
  console.log(
    `\nDollars per million messages (a room publish to ${model.fanOut}) and per million connection-minutes ` +
      `(connections of ${model.connectionMinutes} min), us-east-1 list prices\n`,
  );
  console.table(model.rows);
  console.log(JSON.stringify({ operations: results, model }));
}

if (!only || only === 'burst') {
  console.log(
    '\nA burst of connects: 1,000 sockets into one room of a fresh local stack (in memory), in batches at once:\n' +
      'of 100 after a warm-up (issue 10); of 50 from the start, as the side-by-side fan-out bench opens them.\n' +
      'cpuS: this process (the stack and the client); cpuFloorS: that and DynamoDB Local over the cores.\n',
  );
  const bursts = [await benchBurst(), await benchBurst({ batch: 50, warm: false })];
  console.table(bursts);
  console.log(JSON.stringify(bursts));
}

if (!only || only === 'dynamodb') {
  console.log(
    "\nDynamoDB Local's own CPU per connect into a room (rounds of 1,000, 16 at once; its JVM from /proc)\n",
  );
  const rows = await benchDynamoDbLocal();
  if (!rows) {
    console.log('DynamoDB Local needs Java 17+, not found: this part measures nothing here.');
  } else {
    console.table(rows);
    console.log(dynamoDbLocalFloor(rows));
    console.log(JSON.stringify(rows));
  }
}
