/**
 * VideoID evidence in the audit log (DESIGN.md §5: every state change is audited). The evidence
 * itself (ID images, selfie, video, acceptance record, OCR data) stays with the request on the
 * Optimizer's side; the TSC records which items were uploaded or deleted, with the SHA-256 and size
 * of each, in its hash-chained audit log. That binds what the RAO reviewed to the request's history
 * without any evidence bytes or identity data reaching the TSC.
 */
import { AppError } from '../../../shared/errors.js';
import { appendAudit, type AuditEvent } from '../audit/audit-chain.js';
import type { AuditEntry, RaoRecord } from '../model.js';
import { loadForRao, type RequestDeps } from './requests.js';

/** Evidence item names (Gen B UploadData_VID plus the hosted page's identity declaration). */
export const EVIDENCE_ITEMS = [
  'acceptance', 'identity', 'ocr_data', 'security_checks', 'similarity_level',
  'document_front', 'document_rear', 'document_photo', 'document_owner', 'video',
] as const;

export type EvidenceEvent = 'uploaded' | 'deleted';

export interface EvidenceItemInput {
  name?: unknown;
  sha256?: unknown;
  size?: unknown;
}

export interface EvidenceItem {
  name: (typeof EVIDENCE_ITEMS)[number];
  sha256: string;
  size: number;
}

function invalid(text: string): AppError {
  return new AppError('VIDEOID_ERR_INVALID_EVIDENCE', text);
}

export function parseEvidenceItems(items: unknown): EvidenceItem[] {
  if (!Array.isArray(items) || items.length === 0 || items.length > EVIDENCE_ITEMS.length) {
    throw invalid(`items must list 1-${EVIDENCE_ITEMS.length} evidence items`);
  }
  const seen = new Set<string>();
  return items.map((raw: EvidenceItemInput) => {
    const name = String(raw?.name ?? '');
    if (!(EVIDENCE_ITEMS as readonly string[]).includes(name)) throw invalid(`Unknown evidence item: ${name.slice(0, 32)}`);
    if (seen.has(name)) throw invalid(`Evidence item listed twice: ${name}`);
    seen.add(name);
    const sha256 = String(raw.sha256 ?? '');
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw invalid(`sha256 of ${name} must be 64 lower-case hex characters`);
    const size = raw.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`size of ${name} must be a non-negative integer`);
    return { name: name as EvidenceItem['name'], sha256, size };
  });
}

/**
 * Appends `videoid.evidence_uploaded` or `videoid.evidence_deleted` for a VideoID request of the
 * RAO's registration authority; returns the audit entry (its seq and hash are the receipt).
 */
export async function recordEvidence(
  deps: RequestDeps,
  rao: RaoRecord,
  pk: number,
  event: unknown,
  items: unknown,
): Promise<AuditEntry> {
  if (event !== 'uploaded' && event !== 'deleted') throw invalid("event must be 'uploaded' or 'deleted'");
  const parsed = parseEvidenceItems(items);
  const rec = await loadForRao(deps, rao, pk);
  if (!rec.videoidMode) {
    throw new AppError('REQ_ERR_ILLEGAL_TRANSITION', `Request ${pk} is not a VideoID request`, { status: rec.status });
  }
  const ev: AuditEvent = {
    actor: `rao:${rao.id}`,
    action: `videoid.evidence_${event}`,
    requestPk: pk,
    details: { status: rec.status, items: parsed },
  };
  return deps.store.transaction((tx) => appendAudit(tx, deps.clock, ev));
}
