/**
 * Expansion of the appearance text lines. The One-Shot / SignBox API writes variables in
 * Python %-format style: %(CN)s, %(SUBJECT)s, %(DATE)s, %(E)s, %(EMAIL)s, %(L)s. The Gen B docs
 * write "%(CN)" once without the trailing "s", so the "s" is optional here. Anything else that
 * looks like a directive is left as written (a literal "100%" must not fail a signature).
 */
import { AppError } from '../../../shared/errors.js';

/** Values the Optimizer fills from the request and the certificate. */
export interface AppearanceValues {
  /** Signer's common name. */
  CN: string;
  /** Subject DN as text, e.g. "CN=…, SERIALNUMBER=…, C=ES". */
  SUBJECT?: string;
  /** Signer's e-mail, also reachable as %(E)s. */
  EMAIL?: string;
  /** Location of the signature. */
  L?: string;
  /** Signing time shown by %(DATE)s (formatted with the spec's dateFormat and timezone). */
  date: Date;
}

export const MAX_TEXT_LINES = 20;
export const MAX_LINE_CHARS = 500;

const VARIABLE_RE = /%\((CN|SUBJECT|DATE|EMAIL|E|L)\)s?/g;

/** Removes control characters (tabs and line breaks count as spaces) and composes accents (NFC). */
export function cleanText(s: string): string {
  return s.normalize('NFC').replace(/[\t\r\n]/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '');
}

/**
 * Expands the template lines. A line whose variables all expanded to nothing (e.g. an empty
 * %(EMAIL)s) is dropped, so that missing optional data leaves no blank gap; literal blank lines stay.
 */
export function expandTemplate(lines: readonly string[], values: AppearanceValues, dateText: string): string[] {
  if (lines.length > MAX_TEXT_LINES) throw new AppError('PDF_ERR_BAD_APPEARANCE', `At most ${MAX_TEXT_LINES} text lines are allowed`);
  const table: Record<string, string> = {
    CN: values.CN ?? '',
    SUBJECT: values.SUBJECT ?? '',
    EMAIL: values.EMAIL ?? '',
    E: values.EMAIL ?? '',
    L: values.L ?? '',
    DATE: dateText,
  };
  const out: string[] = [];
  for (const line of lines) {
    if (typeof line !== 'string') throw new AppError('PDF_ERR_BAD_APPEARANCE', 'Text lines must be strings');
    if (line.length > MAX_LINE_CHARS) throw new AppError('PDF_ERR_BAD_APPEARANCE', `A text line is longer than ${MAX_LINE_CHARS} characters`);
    let sawVariable = false;
    const expanded = cleanText(line.replace(VARIABLE_RE, (_m, name: string) => {
      sawVariable = true;
      return table[name] ?? '';
    }));
    if (sawVariable && expanded.trim() === '') continue;
    // Certificate data can be long; the box cannot show more than this anyway.
    out.push(expanded.length > MAX_LINE_CHARS * 4 ? Array.from(expanded).slice(0, MAX_LINE_CHARS * 4).join('') : expanded);
  }
  return out;
}

/** Default lines when the request gives none (what the reference Optimizer shows). */
export const DEFAULT_TEXT_LINES: readonly string[] = ['Digitally signed by %(CN)s', 'Date: %(DATE)s'];
