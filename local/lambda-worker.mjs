// The entry of a Lambda worker thread (lambda-workers.ts). The handler modules are TypeScript: tsx compiles
// them in this thread too, whether or not the stack's own thread was started by tsx (vitest runs the
// integration tests' stacks without it).
import { register } from 'tsx/esm/api';

register();
await import('./lambda-worker.ts');
