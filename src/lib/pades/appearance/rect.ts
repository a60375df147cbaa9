/**
 * The One-Shot `position` parameter: "x1,y1,x2,y2" in points from the bottom-left corner of
 * the page (x1 left, y1 bottom, x2 right, y2 top).
 */
import { AppError } from '../../../shared/errors.js';

export type Rect = [number, number, number, number];

/** Smallest side that can hold anything legible; largest coordinate PDF allows (ISO 32000-1 Annex C.2). */
export const MIN_RECT_SIDE = 1;
export const MAX_COORDINATE = 14400;

const badRect = (why: string): never => {
  throw new AppError('PDF_ERR_BAD_RECTANGLE', `Invalid signature rectangle: ${why}`);
};

/**
 * Validates a rectangle and normalises it to lower-left/upper-right order, as PDF readers do
 * with any rectangle (ISO 32000-1 §7.9.5).
 */
export function validateRect(r: readonly unknown[]): Rect {
  if (!Array.isArray(r) || r.length !== 4) badRect('expected four numbers "x1,y1,x2,y2"');
  const n = r.map((v) => (typeof v === 'number' ? v : NaN));
  if (n.some((v) => !Number.isFinite(v))) badRect('coordinates must be finite numbers');
  if (n.some((v) => Math.abs(v) > MAX_COORDINATE)) badRect(`coordinates must be within ±${MAX_COORDINATE} points`);
  const [x1, y1, x2, y2] = n as Rect;
  const out: Rect = [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
  if (out[2] - out[0] < MIN_RECT_SIDE || out[3] - out[1] < MIN_RECT_SIDE) badRect(`width and height must be at least ${MIN_RECT_SIDE} point`);
  return out;
}

/** Parses "x1,y1,x2,y2" (spaces allowed, decimals with a dot) into a validated rectangle. */
export function parseRect(text: string): Rect {
  if (typeof text !== 'string' || text.length > 200) return badRect('expected "x1,y1,x2,y2"');
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length !== 4 || parts.some((p) => !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(p))) return badRect(`expected "x1,y1,x2,y2", got ${JSON.stringify(text).slice(0, 60)}`);
  return validateRect(parts.map(Number));
}
