/**
 * Text of a visible signature: the One-Shot `text_format` lines with Python-style variables
 * (`%(CN)s`, `%(SUBJECT)s`, `%(DATE)s`, `%(E)s`/`%(EMAIL)s`, `%(L)s`; oneshot-api.md §3.1/§3.2) and a
 * strftime `date_format` rendered in an IANA `timezone`.
 */
import { AppError } from '../../shared/errors.js';

export const DEFAULT_TEXT = ['Digitally signed by %(CN)s', 'Date: %(DATE)s'];
export const DEFAULT_DATE_FORMAT = '%d/%m/%Y %H:%M:%S %z';

function parts(d: Date, timeZone: string): Record<string, string> & { offsetMin: number } {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-GB', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      hourCycle: 'h23', weekday: 'short',
    });
  } catch {
    throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid timezone: ${timeZone.slice(0, 64)}`);
  }
  const p: Record<string, string> = {};
  for (const x of fmt.formatToParts(d)) p[x.type] = x.value;
  const asUtc = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!);
  const offsetMin = Math.round((asUtc - Math.floor(d.getTime() / 1000) * 1000) / 60000);
  return Object.assign(p, { offsetMin });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A strftime subset: %d %m %Y %y %H %M %S %z %Z %b %a %%. */
export function strftime(d: Date, format: string, timeZone = 'UTC'): string {
  const p = parts(d, timeZone);
  const off = p.offsetMin;
  const sign = off < 0 ? '-' : '+';
  const z = `${sign}${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}${String(Math.abs(off) % 60).padStart(2, '0')}`;
  return format.replace(/%([dmYyHMSzZbaj%])/g, (_, c: string) => {
    switch (c) {
      case 'd': return p.day!;
      case 'm': return p.month!;
      case 'Y': return p.year!;
      case 'y': return p.year!.slice(-2);
      case 'H': return p.hour!;
      case 'M': return p.minute!;
      case 'S': return p.second!;
      case 'z': return z;
      case 'Z': return timeZone === 'UTC' ? 'UTC' : z;
      case 'b': return MONTHS[+p.month! - 1]!;
      case 'a': return p.weekday ?? '';
      case '%': return '%';
      default: return c;
    }
  });
}

export interface TextValues {
  CN: string;
  SUBJECT: string;
  EMAIL: string;
  L: string;
  DATE: string;
}

export function renderLines(lines: string[], v: TextValues): string[] {
  const map: Record<string, string> = { CN: v.CN, SUBJECT: v.SUBJECT, E: v.EMAIL, EMAIL: v.EMAIL, L: v.L, DATE: v.DATE };
  return lines.map((l) => l.replace(/%\(([A-Z]+)\)s?/g, (m, k: string) => (k in map ? map[k]! : m)));
}
