/**
 * What an HTTP header field value carries unchanged between our services: printable Latin-1
 * (RFC 9110 §5.5: obs-text is read as ISO-8859-1), no control characters, and no leading or
 * trailing spaces (they are stripped on the way). RAO passwords and PINs travel as header values
 * (X-RAO-Password, X-RAO-Pin; docs/tsc-api.md), so both services check them with this.
 */
const HEADER_SAFE = /^[\x21-\x7e\xa1-\xff](?:[\x20-\x7e\xa0-\xff]*[\x21-\x7e\xa1-\xff])?$/;

export function isHeaderSafe(value: string): boolean {
  return HEADER_SAFE.test(value);
}
