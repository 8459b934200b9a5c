import type { RotateStrategy } from '../../config/types.js';
import { LeastUsedStrategy } from './least-used.js';
import { RandomStrategy } from './random.js';
import { RoundRobinStrategy } from './round-robin.js';
import type { RandomSource, SelectStrategy } from './types.js';

export type { RandomSource, SelectStrategy } from './types.js';
export { eligible } from './types.js';

/** A fresh strategy instance (one per sub-pool). */
export function createStrategy(name: RotateStrategy, random: RandomSource = Math.random): SelectStrategy {
  switch (name) {
    case 'round-robin':
      return new RoundRobinStrategy();
    case 'random':
      return new RandomStrategy(random);
    case 'least-used':
      return new LeastUsedStrategy();
  }
}
