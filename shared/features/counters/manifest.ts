import type { NamespaceDefinition } from '../../core/channels';
import type { FeatureManifest } from '../../core/feature';

/** `counter:{name}` (seed 001): anyone may watch and turn it with `{action, value}`; the total is state. */
export const counter = {
  name: 'counter',
  naming: 'required',
  audience: 'anyone',
  clientPublish: false,
  publishRequiresSubscription: false,
  history: null,
} as const satisfies NamespaceDefinition;

export const countersManifest = {
  name: 'counters',
  namespaces: [counter],
  frames: [],
  typeless: ['action'],
} as const satisfies FeatureManifest;
