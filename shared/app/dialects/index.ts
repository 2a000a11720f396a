import type { Dialect, DialectRegistry } from '../../core/dialect';
import { seed000 } from './seed000';
import { seed001Chat, seed001Counter, seed001Notifications } from './seed001';
import { seed002Device, seed002Sensor, seed002SensorData } from './seed002';
import { seed003Chat } from './seed003';
import { seed004Events, seed004Notifications } from './seed004';

/**
 * Every seed dialect by its marker: the `dialect=` that edge/seed-paths.js sets for each seed path
 * (docs/migration.md). A marker not listed here is refused at `$connect` (400).
 */
export const dialects: DialectRegistry = Object.freeze(
  Object.fromEntries(
    (
      [
        seed000,
        seed001Chat,
        seed001Notifications,
        seed001Counter,
        seed002SensorData,
        seed002Device,
        seed002Sensor,
        seed003Chat,
        seed004Notifications,
        seed004Events,
      ] satisfies Dialect[]
    ).map((d) => [d.name, d]),
  ),
);
