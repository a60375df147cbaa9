/**
 * The TSC over HTTP (docs/tsc-api.md; DESIGN.md §2 rule 4). TSC errors
 * `{"error":{"code","message","details"}}` become AppErrors with the same stable code, so the
 * Optimizer's envelope carries the One-Shot text the TSC chose. Only digests and identity data
 * are ever sent: no method here takes document bytes.
 */
import { AppError, ERROR_CODES, type ErrorCode } from '../../shared/errors.js';
import { isHeaderSafe } from '../../shared/header-value.js';
import type { CertificateEventFeed, TscCertificateEvent } from '../domain/async-ports.js';
import type { TscVideoIdClient } from '../domain/videoid-ports.js';
import type {
  RaoCredentials, RaoInfo, TscClient, TscRequestObject, TscSignRequest, TscSignResult, TscSigningInfo,
} from '../domain/ports.js';

export interface HttpTscClientOptions {
  baseUrl: string;
  apiKey: string | null;
  timeoutMs: number;
}

type Json = Record<string, unknown>;


export class HttpTscClient implements TscClient, TscVideoIdClient, CertificateEventFeed {
  constructor(private readonly opts: HttpTscClientOptions) {}

  private raoHeaders(c: RaoCredentials): Record<string, string> {
    const h: Record<string, string> = { 'x-rao-username': c.username };
    if (c.password) h['x-rao-password'] = c.password;
    if (c.pin) h['x-rao-pin'] = c.pin;
    // fetch's own error for a value a header cannot carry quotes the value (a password in the
    // error log): refuse it here, naming only the field.
    for (const [k, v] of Object.entries(h)) {
      if (!isHeaderSafe(v)) throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid parameter: '${k.slice(6)}' contains characters that cannot be sent to the TSC`);
    }
    return h;
  }

  private async call(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; binary?: boolean } = {}): Promise<any> {
    const headers: Record<string, string> = { accept: init.binary ? 'application/pdf, application/json' : 'application/json', ...init.headers };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    let res: Response;
    try {
      res = await fetch(`${this.opts.baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs), redirect: 'error' });
    } catch (e) {
      throw new AppError('API_ERR_UPSTREAM_UNAVAILABLE', 'Trusted Service Center unavailable', undefined, { cause: e });
    }
    if (res.ok) {
      if (init.binary) return new Uint8Array(await res.arrayBuffer());
      const text = await res.text();
      try {
        return text ? JSON.parse(text) : {};
      } catch (e) {
        throw new AppError('API_ERR_UPSTREAM_UNAVAILABLE', 'Trusted Service Center sent an unreadable answer', undefined, { cause: e });
      }
    }
    let err: { code?: string; message?: string; details?: unknown } = {};
    try {
      err = ((await res.json()) as { error?: typeof err }).error ?? {};
    } catch {
      /* not JSON */
    }
    const code = err.code && err.code in ERROR_CODES ? (err.code as ErrorCode) : null;
    // Field maps ({"email": ["…"]}) are the One-Shot shape of RA validation errors and go to the
    // client as details; other TSC details (ids, flags) would hide the message in Gen B.
    // The TSC's own internal failure: the client sees a generic 500; the log says where it was.
    if (code === 'INTERNAL_ERR') throw new AppError('INTERNAL_ERR', `TSC answered ${res.status} INTERNAL_ERR to ${method} ${path.split('?')[0]}`);
    if (code) throw new AppError(code, String(err.message ?? code), code === 'REQ_ERR_INVALID_FIELD' ? err.details : undefined);
    if (res.status === 401) throw new AppError('INTERNAL_ERR', 'the TSC refused the Optimizer client key (TSC_CLIENT_API_KEY)');
    if (res.status >= 500) throw new AppError('API_ERR_UPSTREAM_UNAVAILABLE', 'Trusted Service Center error');
    throw new AppError('INTERNAL_ERR', `unexpected TSC answer ${res.status} to ${method} ${path}`);
  }

  async verifyRao(creds: RaoCredentials): Promise<RaoInfo> {
    const r = (await this.call('POST', '/tsc/v1/rao/verify', { headers: this.raoHeaders(creds), body: {} })) as Json;
    return { raoId: Number(r.rao_id), username: String(r.username), registrationAuthority: Number(r.registration_authority) };
  }

  createRequest(creds: RaoCredentials, body: Record<string, unknown>): Promise<TscRequestObject> {
    return this.call('POST', '/tsc/v1/requests', { headers: this.raoHeaders(creds), body });
  }

  getRequest(creds: RaoCredentials, pk: number): Promise<TscRequestObject> {
    return this.call('GET', `/tsc/v1/requests/${pk}`, { headers: this.raoHeaders(creds) });
  }

  updateRequest(creds: RaoCredentials, pk: number, patch: Record<string, unknown>): Promise<TscRequestObject> {
    return this.call('PUT', `/tsc/v1/requests/${pk}`, { headers: this.raoHeaders(creds), body: patch });
  }

  /** VideoID review: VIDEOREVIEW or CREATED → ENROLLREADY (needs the PIN). */
  approveRequest(creds: RaoCredentials, pk: number): Promise<TscRequestObject> {
    return this.call('POST', `/tsc/v1/requests/${pk}/approve`, { headers: this.raoHeaders(creds), body: {} });
  }

  /** VideoID steps driven by the Optimizer (VIDEOINCOMPLETE, VIDEOREVIEW, VIDEOERROR, VIDEOPENDING, CREATED). */
  setVideoStatus(creds: RaoCredentials, pk: number, status: string, reason?: string): Promise<TscRequestObject> {
    return this.call('POST', `/tsc/v1/requests/${pk}/status`, { headers: this.raoHeaders(creds), body: reason ? { status, reason } : { status } });
  }

  /** Evidence uploaded/deleted, recorded in the TSC audit (names, SHA-256, sizes only). */
  async recordEvidence(
    creds: RaoCredentials, pk: number, event: 'uploaded' | 'deleted', items: { name: string; sha256: string; size: number }[],
  ): Promise<{ auditSeq: number; auditHash: string }> {
    const r = (await this.call('POST', `/tsc/v1/requests/${pk}/evidence`, { headers: this.raoHeaders(creds), body: { event, items } })) as Json;
    return { auditSeq: Number(r.audit_seq), auditHash: String(r.audit_hash) };
  }

  cancelRequest(creds: RaoCredentials, pk: number, reason?: string): Promise<TscRequestObject> {
    return this.call('POST', `/tsc/v1/requests/${pk}/cancel`, { headers: this.raoHeaders(creds), body: reason ? { reason } : {} });
  }

  async sendOtp(pk: number, deliveryMethod?: string): Promise<void> {
    await this.call('POST', `/tsc/v1/requests/${pk}/otp`, { body: deliveryMethod ? { delivery_method: deliveryMethod } : {} });
  }

  getContract(pk: number): Promise<Uint8Array> {
    return this.call('GET', `/tsc/v1/requests/${pk}/contract`, { binary: true });
  }

  async signingInfo(profile: string, level: string, opts: { externalTsa?: boolean } = {}): Promise<TscSigningInfo> {
    const q = new URLSearchParams({ profile, level, ...(opts.externalTsa ? { external_tsa: 'true' } : {}) });
    const r = (await this.call('GET', `/tsc/v1/signing-info?${q}`)) as Json;
    const rev = r.revocation as { ocsp?: string[]; crl?: string[] } | undefined;
    return {
      keyAlgorithm: String(r.key_algorithm), cmsMaxBytes: Number(r.cms_max_bytes), chain: (r.chain as string[]) ?? [],
      ...(typeof r.tst_max_bytes === 'number' ? { tstMaxBytes: r.tst_max_bytes } : {}),
      ...(rev ? { revocation: { ocsp: rev.ocsp ?? [], crl: rev.crl ?? [] } } : {}),
    };
  }

  async sign(pk: number, body: TscSignRequest, opts: { idempotencyKey?: string } = {}): Promise<TscSignResult> {
    const headers = opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : undefined;
    const r = (await this.call('POST', `/tsc/v1/requests/${pk}/sign`, { body, ...(headers ? { headers } : {}) })) as Json;
    return {
      certificate: String(r.certificate), chain: (r.chain as string[]) ?? [],
      signatures: (r.signatures as { id: string; cms: string }[]) ?? [], serialNumber: String(r.serial_number ?? ''),
      level: String(r.level ?? body.level),
      degraded: r.degraded === true,
      ...(typeof r.degradation_reason === 'string' ? { degradationReason: r.degradation_reason } : {}),
      ...(r.replayed === true ? { replayed: true } : {}),
    };
  }

  /** GET /tsc/v1/events: certificate status changes after audit sequence `after` (issue 6). */
  async certificateEvents(after: number, limit: number): Promise<{ events: TscCertificateEvent[]; next: number }> {
    const r = (await this.call('GET', `/tsc/v1/events?after=${after}&limit=${limit}`)) as { events?: TscCertificateEvent[]; next?: number };
    return { events: r.events ?? [], next: Number(r.next ?? after) };
  }
}
