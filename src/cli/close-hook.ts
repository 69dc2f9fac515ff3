import type { Ports } from '../jobs/ports.js';

/**
 * The month-close steps a simulation runs on their days (1st–3rd). Filled in by the month-close
 * jobs; until then a simulation simply does not close.
 */
export const closeHook = (ports: Ports) => async (today: string): Promise<string[]> => {
  void ports;
  void today;
  return [];
};
