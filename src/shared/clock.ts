/** Injectable time source so tests can move time (OTP expiry, throttles, certificate validity). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can set and advance. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start: Date | number = Date.now()) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(t: Date | number): void {
    this.t = typeof t === 'number' ? t : t.getTime();
  }
}

/**
 * Truncates to whole seconds. RFC 5280 §4.1.2.5 forbids fractional seconds in certificate
 * times, and NSS rejects OCSP responses whose GeneralizedTime carries milliseconds.
 */
export function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
