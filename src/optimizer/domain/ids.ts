/** Parsing of client-supplied ids into values that are safe to use in blob keys and queries. */
import { AppError, type ErrorCode } from '../../shared/errors.js';
import { isUid } from '../../shared/ids.js';

/** Echo of a client value in an error text: bounded, printable. */
export function echo(s: unknown): string {
  const t = String(s ?? '');
  return t.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

/** Request pks are positive integers (docs/tsc-api.md); anything else is an unknown request. */
export function parsePk(raw: string | number | undefined, notFound: (pk: string) => string): number {
  const s = String(raw ?? '');
  if (!/^[1-9][0-9]{0,14}$/.test(s)) throw new AppError('REQ_ERR_NOT_FOUND', notFound(echo(s)));
  return Number(s);
}

/** Document/image/token/metadata uids: 32 hex or dashed UUID, lower case; rejects path tricks. */
export function parseUid(raw: string | undefined, code: ErrorCode, notFound: (uid: string) => string): string {
  const s = String(raw ?? '').toLowerCase();
  if (!isUid(s)) throw new AppError(code, notFound(echo(raw)));
  return s;
}
