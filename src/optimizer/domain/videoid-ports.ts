/**
 * Ports of VideoID (oneshot-api.md §1.7, §2.2; docs/videoid.md): the Optimizer-side record of a
 * VideoID request (its own videoid_pk sequence, the map to request_pk, the hosted link, the
 * evidence index) and the TSC calls the review needs. Evidence bytes live in the blob store under
 * `<request_pk>/videoid/`; JSON evidence (acceptance record, OCR data, checks) is sealed in the
 * record. Neither ever goes to the cache or to the logs.
 */
import type { RaoCredentials, RequestStatus, TscRequestObject } from './ports.js';

/** eIDAS: the signer uses our hosted page (videoid_link); external: the customer's provider uploads evidence. */
export type VideoIdMode = 'eidas' | 'external';

/** Binary evidence items and where the Gen B names come from (UploadData_VID.videoid_data.images). */
export const IMAGE_ITEMS = ['document_front', 'document_rear', 'document_photo', 'document_owner'] as const;
export type ImageItem = (typeof IMAGE_ITEMS)[number];
export type MediaItem = ImageItem | 'video';

/** Index entry of one stored evidence item (JSON items have a digest of their canonical JSON). */
export interface EvidenceMeta {
  sha256: string;
  size: number;
  /** MIME type for media items; `application/json` for data items. */
  mime: string;
  /** Blob file extension for media items (`jpg`, `png`, `webm`, `mp4`); '' for data items. */
  ext: string;
  at: string;
}

/** JSON evidence, sealed at rest (it holds identity data). */
export interface EvidenceData {
  acceptance?: Record<string, unknown>;
  /** What the signer declared on the hosted page (no OCR there). */
  identity?: Record<string, string>;
  ocr_data?: Record<string, string>;
  security_checks?: Record<string, boolean>;
  similarity_level?: number;
}

export type EvidenceName = MediaItem | 'acceptance' | 'identity' | 'ocr_data' | 'security_checks' | 'similarity_level';

export interface VideoIdRecord {
  videoidPk: number;
  requestPk: number;
  mode: VideoIdMode;
  /** SHA-256 (hex) of the hosted link's secret token; null in external mode. The token itself is never stored. */
  linkHash: string | null;
  linkExpiresAt: Date | null;
  /** When the hosted link was used up (evidence complete, or the request left the VideoID states). */
  linkUsedAt: Date | null;
  items: Partial<Record<EvidenceName, EvidenceMeta>>;
  /** SecretBox-sealed JSON of EvidenceData (AAD `videoid:<request_pk>:evidence`); null when none. */
  dataSealed: string | null;
  /** Why the identification failed (VIDEOERROR), in words safe to show the RAO. */
  failure: string | null;
  /** Set when the RAO deleted the evidence. */
  evidenceDeletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface VideoIdStore {
  /** Next value of the videoid_pk sequence (atomic across processes sharing the database). */
  nextPk(): Promise<number>;
  insert(r: VideoIdRecord): Promise<void>;
  byVideoIdPk(pk: number): Promise<VideoIdRecord | null>;
  byRequestPk(pk: number): Promise<VideoIdRecord | null>;
  byLinkHash(hash: string): Promise<VideoIdRecord | null>;
  update(requestPk: number, patch: Partial<Omit<VideoIdRecord, 'videoidPk' | 'requestPk' | 'createdAt'>>): Promise<void>;
  delete(requestPk: number): Promise<boolean>;
}

/** The TSC calls of the VideoID flow (docs/tsc-api.md): status steps, approval, evidence audit. */
export interface TscVideoIdClient {
  approveRequest(creds: RaoCredentials, pk: number): Promise<TscRequestObject>;
  setVideoStatus(creds: RaoCredentials, pk: number, status: RequestStatus, reason?: string): Promise<TscRequestObject>;
  recordEvidence(
    creds: RaoCredentials,
    pk: number,
    event: 'uploaded' | 'deleted',
    items: { name: string; sha256: string; size: number }[],
  ): Promise<{ auditSeq: number; auditHash: string }>;
}

/** What the VideoID use cases need besides the common context (wired by app.ts). */
export interface VideoIdContext {
  store: VideoIdStore;
  tsc: TscVideoIdClient;
  /** Base of the hosted links (OPTIMIZER_PUBLIC_URL, else the listening URL, set by startOptimizer). */
  publicUrl: string;
  /** Lifetime of a hosted link (OPTIMIZER_VIDEOID_LINK_TTL_SECONDS). */
  linkTtlMs: number;
  maxVideoBytes: number;
  maxImageBytes: number;
  /** Largest JSON body of POST …/evidences (base64 images inside). */
  maxEvidenceBodyBytes: number;
  /** Reverse proxies in front of the Optimizer whose X-Forwarded-For names the signer (OPTIMIZER_VIDEOID_PROXY_HOPS). */
  proxyHops: number;
}
