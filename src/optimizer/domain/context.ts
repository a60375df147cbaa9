/** Everything a use case may touch, wired by app.ts (DESIGN.md §2 rule 3: http → domain → ports). */
import type { Clock } from '../../shared/clock.js';
import type { AsyncDeps } from './async-ports.js';
import type {
  BlobStore, Cache, DocumentStore, ImageStore, JobQueue, Lock, MetadataStore, RequestStore, SettingsStore,
  TokenStore, TscClient,
} from './ports.js';
import type { LongTermServices } from './long-term-ports.js';
import type { PdfEngine } from './pdf-engine.js';
import type { SecretBox } from './secret-box.js';
import type { VideoIdContext } from './videoid-ports.js';

export interface Limits {
  maxUploadBytes: number;
  maxFilesPerCall: number;
  maxDocumentsPerRequest: number;
}

export interface OptimizerContext {
  tokens: TokenStore;
  requests: RequestStore;
  documents: DocumentStore;
  images: ImageStore;
  metadata: MetadataStore;
  blobs: BlobStore;
  settings: SettingsStore;
  tsc: TscClient;
  pdf: PdfEngine;
  /** B-LT/B-LTA: DSS and document-timestamp increments, validation data, the document-timestamp TSA (issue 5). */
  longTerm: LongTermServices;
  secrets: SecretBox;
  clock: Clock;
  lock: Lock;
  cache: Cache;
  jobs: JobQueue;
  /** Async mode and webhooks (issue 6): sign-job records, webhook outbox, sender, policy. */
  async: AsyncDeps;
  /** VideoID (issue 7): the videoid record store, the TSC's VideoID calls, link and media limits. */
  videoid: VideoIdContext;
  limits: Limits;
  /** Environment the Optimizer serves when settings do not say (ONESHOT_ENV). */
  version: string;
}
