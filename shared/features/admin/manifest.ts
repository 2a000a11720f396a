import type { FeatureManifest } from '../../core/feature';

/** The operators' HTTP API (GET /v1/stats, DELETE /v1/connections/{id}): no namespace, no frame. */
export const adminManifest = {
  name: 'admin',
  namespaces: [],
  frames: [],
  typeless: [],
} as const satisfies FeatureManifest;
