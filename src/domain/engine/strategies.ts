import { withDebitCap } from './debit-cap.js';
import { defaultStrategy } from './default-strategy.js';
import { naiveStrategy } from './naive-strategy.js';
import type { Strategy } from './strategy.js';

/** The strategies config `engine.strategy` can name, each under the debit cap (debit-cap.ts). */
export const STRATEGIES: Readonly<Record<'default' | 'naive', Strategy>> = Object.freeze({
  default: withDebitCap(defaultStrategy),
  naive: withDebitCap(naiveStrategy),
});
