/**
 * `npm run bench`: the performance figures of the project, printed as a table. Each part bounds itself in
 * count and runs on loopback only.
 */
import { benchPostPaths } from './post-path';

const rows = await benchPostPaths();
console.log('\nCost of one PostToConnection, client side (stub Management API in another process)\n');
console.table(rows);
const sdk = rows[0];
const lean = rows[1];
if (sdk && lean) {
  console.log(
    `lean path: ${(sdk.cpuMicrosPerPost / lean.cpuMicrosPerPost).toFixed(1)}x less CPU per delivery than the SDK ` +
      `(~${Math.round(1e6 / lean.cpuMicrosPerPost)} deliveries per CPU-second vs ~${Math.round(1e6 / sdk.cpuMicrosPerPost)})`,
  );
}
