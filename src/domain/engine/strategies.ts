import { defaultStrategy } from './default-strategy.js';
import { naiveStrategy } from './naive-strategy.js';
import type { Strategy } from './strategy.js';

/** The strategies config `engine.strategy` can name. */
export const STRATEGIES: Readonly<Record<'default' | 'naive', Strategy>> = Object.freeze({
  default: defaultStrategy,
  naive: naiveStrategy,
});
