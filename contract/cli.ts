import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACT_FILES, contractDocuments, documentText } from './index';

/** `npm run contract`: writes docs/openapi.json and docs/asyncapi.json. */
const root = new URL('..', import.meta.url).pathname;
const documents = contractDocuments();
for (const [name, file] of Object.entries(CONTRACT_FILES)) {
  writeFileSync(join(root, file), documentText(documents[name as keyof typeof CONTRACT_FILES]));
  console.log(`wrote ${file}`);
}
