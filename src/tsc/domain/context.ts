/** What the TSC use cases need, wired by app.ts (adapters) or by tests. */
import type { Clock } from '../../shared/clock.js';
import type { ContractRenderer, ExtAuthVerifier, OtpSender, TscPersistence } from './ports.js';
import type { ScryptParams } from './ra/secret-hash.js';
import type { CredentialCache } from './ra/credential-cache.js';
import type { VideoIdRas } from './ra/videoid-policy.js';

export type OtpChannel = 'sms' | 'whatsapp' | 'email';

export interface TscSettings {
  env: 'sandbox' | 'prod';
  scrypt: ScryptParams;
  otp: {
    ttlSeconds: number;
    resendSeconds: number;
    maxAttempts: number;
    hmacKey: Uint8Array;
    defaultChannel: OtpChannel;
  };
  certValiditySeconds: number;
  /** Trust service provider name shown in contracts and CA subjects. */
  providerName: string;
  maxDigestsPerCall: number;
  /** A sign call that has not finished after this long is considered dead and its claim stale. */
  signingClaimTimeoutMs: number;
  /**
   * A sign call repeated on an ISSUED request, with the same input and authorisation, within this
   * many seconds gets the stored answer again (docs/async.md "The one lost window"); 0 disables.
   */
  signReplaySeconds: number;
  /** Registration authorities allowed to create VideoID requests (TSC_VIDEOID_RAS). */
  videoidRas: VideoIdRas;
}

export interface TscDomainDeps {
  store: TscPersistence;
  clock: Clock;
  settings: TscSettings;
  /** Sender per channel; null when the channel cannot be delivered in this deployment. */
  otpSenders: Record<OtpChannel, OtpSender | null>;
  extAuth: ExtAuthVerifier;
  contracts: ContractRenderer;
  /** Skips the scrypt of recently verified RAO credentials (never the database lookup). */
  credentialCache?: CredentialCache;
}
