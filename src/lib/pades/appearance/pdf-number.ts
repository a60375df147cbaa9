import { formatNumber } from '../../pdf/objects.js';

/**
 * Number for a content stream, rounded to 1/1000 of a unit: far below device resolution,
 * and keeps the streams short and byte-identical across runs.
 */
export function fmt(n: number): string {
  return formatNumber(Math.round(n * 1000) / 1000);
}
