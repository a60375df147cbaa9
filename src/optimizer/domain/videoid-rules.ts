/**
 * VideoID rules (docs/videoid.md): the `videoid` settings section, which evidence makes a request
 * complete in each mode, and what counts as a failed identification.
 *
 * Outcome of the evidence held for a request (oneshot-api.md §1.7 #34):
 *  - failure (VIDEOERROR): a security check reported false, or the similarity between the document
 *    photo and the selfie is below `videoid.min_similarity` (a corrupt upload also fails, see
 *    videoid-evidence.ts);
 *  - complete (VIDEOREVIEW): every required item is in;
 *  - partial (VIDEOINCOMPLETE): anything less.
 */
import type { Settings } from './ports.js';
import type { EvidenceData, EvidenceName, MediaItem, VideoIdMode, VideoIdRecord } from './videoid-ports.js';

/** Blob key of a media item: built from validated names only (`<request_pk>/videoid/<item>.<ext>`). */
export const mediaKey = (pk: number, item: MediaItem, ext: string) => `${pk}/videoid/${item}.${ext}`;

export interface VideoIdSettings {
  /** Mode of a create call that does not say (`videoid_mode`). */
  mode: VideoIdMode;
  /** Token whose RAO creates VideoID requests when the create body carries no credentials (the Gen B body has none). */
  token: string;
  /** Lowest accepted similarity_level (0..100). */
  minSimilarity: number;
  /** Shown and recorded on the hosted page. */
  termsUrl: string;
  privacyUrl: string;
}

const DEFAULTS: VideoIdSettings = { mode: 'eidas', token: '', minSimilarity: 70, termsUrl: '', privacyUrl: '' };

const url = (v: unknown) => v === '' || (typeof v === 'string' && /^https?:\/\/[^\s]+$/.test(v) && v.length <= 2048);

/** Type checks of the `videoid` settings section (used by POST /settings). */
export const VIDEOID_SETTING_CHECKS: Record<string, (v: unknown) => boolean> = {
  mode: (v) => v === 'eidas' || v === 'external',
  token: (v) => typeof v === 'string' && v.length <= 64,
  min_similarity: (v) => Number.isInteger(Number(v)) && Number(v) >= 0 && Number(v) <= 100 && String(v).trim() !== '',
  terms_url: url,
  privacy_url: url,
};

export function videoIdSettings(s: Settings): VideoIdSettings {
  const v = (s.videoid ?? {}) as Record<string, unknown>;
  const ok = (k: string) => v[k] !== undefined && VIDEOID_SETTING_CHECKS[k]!(v[k]);
  return {
    mode: ok('mode') ? (v.mode as VideoIdMode) : DEFAULTS.mode,
    token: ok('token') ? String(v.token) : DEFAULTS.token,
    minSimilarity: ok('min_similarity') ? Number(v.min_similarity) : DEFAULTS.minSimilarity,
    termsUrl: ok('terms_url') ? String(v.terms_url) : DEFAULTS.termsUrl,
    privacyUrl: ok('privacy_url') ? String(v.privacy_url) : DEFAULTS.privacyUrl,
  };
}

/** Words some providers send for similarity_level (the Gen B sample sends "high"). */
export const SIMILARITY_WORDS: Record<string, number> = { low: 30, medium: 60, high: 90 };

/** A passport has no rear side worth capturing (ICAO 9303: the data page is the identity page). */
function needsRear(data: EvidenceData): boolean {
  const type = data.ocr_data?.id_document_type ?? data.identity?.id_document_type;
  return type?.toUpperCase() !== 'PAS';
}

export function requiredItems(mode: VideoIdMode, data: EvidenceData): EvidenceName[] {
  const images: EvidenceName[] = ['document_front', ...(needsRear(data) ? ['document_rear' as const] : []), 'document_owner'];
  return mode === 'external'
    ? ['acceptance', 'ocr_data', 'security_checks', 'similarity_level', ...images, 'video']
    : ['acceptance', 'identity', ...images, 'video'];
}

export interface Evaluation {
  missing: EvidenceName[];
  /** Why the identification failed, or null. */
  failure: string | null;
}

export function evaluate(v: Pick<VideoIdRecord, 'mode' | 'items'>, data: EvidenceData, minSimilarity: number): Evaluation {
  const failed = Object.entries(data.security_checks ?? {}).filter(([, ok]) => ok === false).map(([k]) => k);
  let failure: string | null = null;
  if (failed.length) failure = `security checks failed: ${failed.join(', ')}`;
  else if (data.similarity_level !== undefined && data.similarity_level < minSimilarity) {
    failure = `similarity level ${data.similarity_level} is below the required ${minSimilarity}`;
  }
  const missing = requiredItems(v.mode, data).filter((n) => !v.items[n]);
  return { missing, failure };
}
