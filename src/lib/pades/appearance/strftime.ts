/**
 * strftime-like date formatting in an IANA time zone, with no dependency beyond Intl.
 *
 * The One-Shot / SignBox appearance takes a Python `strftime` format ("%d/%m/%Y %H:%M:%S %z")
 * and a time zone name (default UTC). Names of days and months are those of the C locale, as
 * Python prints them on the reference Optimizer. Unknown directives are copied verbatim, as
 * glibc does.
 */
import { AppError } from '../../../shared/errors.js';

export const DEFAULT_DATE_FORMAT = '%d/%m/%Y %H:%M:%S %z';

/**
 * Names seen in One-Shot client samples that are not IANA zones (the Gen B docs send
 * "Europe/Barcelona"). Mapped to the zone that has the same rules, instead of a 400.
 */
const ZONE_ALIASES: Record<string, string> = {
  'Europe/Barcelona': 'Europe/Madrid',
};

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Returns the canonical IANA name for `tz` (default UTC), or throws PDF_ERR_BAD_APPEARANCE. */
export function resolveTimeZone(tz: string | undefined): string {
  const name = tz === undefined || tz.trim() === '' ? 'UTC' : (ZONE_ALIASES[tz.trim()] ?? tz.trim());
  try {
    return numericFormatter(name).resolvedOptions().timeZone;
  } catch {
    throw new AppError('PDF_ERR_BAD_APPEARANCE', `Unknown time zone: ${JSON.stringify(tz).slice(0, 80)}`);
  }
}

function numericFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of `date` in `timeZone`, plus its UTC offset in minutes. */
export interface ZonedFields {
  year: number; month: number; day: number; hour: number; minute: number; second: number;
  millisecond: number; weekday: number; /* 0 = Sunday */ offsetMinutes: number;
}

export function zonedFields(date: Date, timeZone: string): ZonedFields {
  const parts: Record<string, string> = {};
  for (const p of numericFormatter(timeZone).formatToParts(date)) parts[p.type] = p.value;
  const f = {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour) % 24, minute: Number(parts.minute), second: Number(parts.second),
  };
  const ms = ((date.getTime() % 1000) + 1000) % 1000;
  const wallAsUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, ms);
  const offsetMinutes = Math.round((wallAsUtc - date.getTime()) / 60000);
  const weekday = new Date(Date.UTC(f.year, f.month - 1, f.day)).getUTCDay();
  return { ...f, millisecond: ms, weekday, offsetMinutes };
}

const pad = (n: number, w = 2, c = '0') => String(n).padStart(w, c);

function offsetText(minutes: number, colon = false): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${pad(Math.floor(a / 60))}${colon ? ':' : ''}${pad(a % 60)}`;
}

/**
 * Zone abbreviation like tzdata's (%Z): "CEST", "EDT", "UTC". ICU knows the European ones only
 * in en-GB and the American ones only in en-US; where neither has a letter abbreviation,
 * tzdata itself uses the numeric form ("+0530"), so we do too.
 */
function zoneAbbreviation(date: Date, timeZone: string, offsetMinutes: number): string {
  for (const locale of ['en-US', 'en-GB']) {
    const part = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })
      .formatToParts(date).find((p) => p.type === 'timeZoneName')?.value;
    if (part && !/^GMT[+-]/.test(part)) return part === 'GMT' && timeZone === 'UTC' ? 'UTC' : part;
  }
  return offsetText(offsetMinutes);
}

function dayOfYear(f: ZonedFields): number {
  return Math.round((Date.UTC(f.year, f.month - 1, f.day) - Date.UTC(f.year, 0, 1)) / 86400000) + 1;
}

/**
 * Formats `date` with a strftime-like `format` in `timeZone` (an IANA name, default UTC).
 * Supported: %d %m %Y %y %H %M %S %f %z %:z %Z %b %h %B %a %A %j %p %I %e %u %w %F %T %D %R %c %x %X %n %t %%.
 */
export function strftime(date: Date, format: string = DEFAULT_DATE_FORMAT, timeZone?: string): string {
  if (Number.isNaN(date.getTime())) throw new AppError('PDF_ERR_BAD_APPEARANCE', 'Invalid signing date');
  const tz = resolveTimeZone(timeZone);
  const f = zonedFields(date, tz);
  const h12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  const one = (d: string): string | undefined => {
    switch (d) {
      case 'd': return pad(f.day);
      case 'e': return pad(f.day, 2, ' ');
      case 'm': return pad(f.month);
      case 'Y': return String(f.year);
      case 'y': return pad(f.year % 100);
      case 'H': return pad(f.hour);
      case 'I': return pad(h12);
      case 'M': return pad(f.minute);
      case 'S': return pad(f.second);
      case 'f': return pad(f.millisecond * 1000, 6);
      case 'p': return f.hour < 12 ? 'AM' : 'PM';
      case 'z': return offsetText(f.offsetMinutes);
      case 'Z': return zoneAbbreviation(date, tz, f.offsetMinutes);
      case 'a': return DAYS[f.weekday]!.slice(0, 3);
      case 'A': return DAYS[f.weekday]!;
      case 'b': case 'h': return MONTHS[f.month - 1]!.slice(0, 3);
      case 'B': return MONTHS[f.month - 1]!;
      case 'j': return pad(dayOfYear(f), 3);
      case 'u': return String(f.weekday === 0 ? 7 : f.weekday);
      case 'w': return String(f.weekday);
      case 'F': return `${f.year}-${pad(f.month)}-${pad(f.day)}`;
      case 'T': return `${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}`;
      case 'R': return `${pad(f.hour)}:${pad(f.minute)}`;
      case 'D': case 'x': return `${pad(f.month)}/${pad(f.day)}/${pad(f.year % 100)}`;
      case 'X': return `${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}`;
      case 'c': return `${DAYS[f.weekday]!.slice(0, 3)} ${MONTHS[f.month - 1]!.slice(0, 3)} ${pad(f.day, 2, ' ')} ${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)} ${f.year}`;
      case 'n': return '\n';
      case 't': return '\t';
      case '%': return '%';
      default: return undefined;
    }
  };
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%' || i + 1 >= format.length) {
      out += c;
      continue;
    }
    if (format.startsWith('%:z', i)) {
      out += offsetText(f.offsetMinutes, true);
      i += 2;
      continue;
    }
    const v = one(format[i + 1]!);
    if (v === undefined) out += c;
    else {
      out += v;
      i++;
    }
  }
  return out;
}
