/**
 * Certificate status feed for the Optimizer (issue 6: webhook CERTIFICATE_REVOKED, oneshot-api.md
 * §3.5). The hash-chained audit log is already the ordered record of every change; the feed reads
 * it from a sequence number on and keeps the certificate events. The Optimizer polls it with its
 * own cursor (`next`), so no event is pushed and none is lost while the Optimizer is down.
 */
import type { TscPersistence } from '../ports.js';

export interface CertificateEvent {
  /** Audit sequence number of the change. */
  seq: number;
  type: 'CERTIFICATE_REVOKED';
  /** RFC 3339, whole seconds. */
  at: string;
  request_pk: number | null;
  serial_number: string;
  reason: string | null;
  valid_from: string;
  valid_to: string;
}

export interface CertificateEventPage {
  events: CertificateEvent[];
  /** Resume after this sequence number (the last audit entry read; equal to `after` when none). */
  next: number;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Certificate events with audit seq > `after`, reading at most `scan` audit entries. */
export async function listCertificateEvents(deps: { store: TscPersistence }, after: number, scan: number): Promise<CertificateEventPage> {
  const entries = await deps.store.audit.list(after + 1, scan);
  const events: CertificateEvent[] = [];
  for (const e of entries) {
    if (e.action !== 'certificate.revoked' || typeof e.details.serial !== 'string') continue;
    const cert = await deps.store.certificates.get(e.details.serial);
    if (!cert) continue;
    events.push({
      seq: e.seq, type: 'CERTIFICATE_REVOKED', at: e.at, request_pk: e.requestPk, serial_number: cert.serial,
      reason: typeof e.details.reason === 'string' ? e.details.reason : null, valid_from: iso(cert.notBefore), valid_to: iso(cert.notAfter),
    });
  }
  return { events, next: entries.length ? entries[entries.length - 1]!.seq : after };
}
