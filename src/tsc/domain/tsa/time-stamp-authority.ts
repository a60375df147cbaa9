/**
 * The TSC's own time-stamping authority (RFC 3161; issue 5 §1): answers TimeStampReqs from anyone
 * (POST /tsa) and stamps signature values in-process for level B-T.
 *
 * Tokens: TSTInfo with the configured policy (a request naming another policy is refused with
 * unacceptedPolicy), the request's imprint and nonce echoed, a monotonic unique serial, genTime in
 * whole seconds unless configured otherwise, the configured accuracy, the TSA name; signed by the
 * TSA unit key (service certificate, EKU timeStamping critical) with ESS signing-certificate-v2
 * (RFC 5816). With certReq the TSA certificate and the issuing CA certificate are included.
 */
import { randomBytes } from 'node:crypto';
import {
  buildTimeStampRejection, buildTimeStampReq, buildTimeStampResp, buildTimeStampToken, hash, parseTimeStampReq, timeStampReqProblem,
  type DigestAlgorithmName, type ParsedTimeStampReq, type TimeStampTokenInput,
} from '../../../lib/cms/index.js';
import type { Clock } from '../../../shared/clock.js';
import { isAppError } from '../../../shared/errors.js';
import type { CertificateAuthority } from '../ca/certificate-authority.js';
import type { ServiceCertificates } from '../ca/service-certificates.js';
import type { SignatureTimestamper } from '../ports.js';
import { TsaSerials } from './tsa-serials.js';

export interface TsaSettings {
  /** TSA policy OID written in every token (ETSI EN 319 421 §5.2 policy identifier). */
  policy: string;
  /** Declared accuracy of genTime. */
  accuracy: { seconds?: number; millis?: number; micros?: number };
  /** Keep milliseconds in genTime (RFC 3161 allows fractions; default whole seconds). */
  genTimeMillis: boolean;
  /** Hash of the imprint when this TSA stamps signature values in-process. */
  hash: DigestAlgorithmName;
}

export interface TsaDeps {
  ca: CertificateAuthority;
  certs: ServiceCertificates;
  clock: Clock;
  settings: TsaSettings;
}

/** What POST /tsa answers: an HTTP status and a DER TimeStampResp (also for refusals). */
export interface TsaReply {
  httpStatus: 200 | 400 | 500;
  body: Uint8Array;
}

/** Slack over a measured token: ECDSA signature length jitter, longer serial/nonce encodings. */
const TOKEN_MARGIN = 256;

export class TimeStampAuthority {
  private readonly serials = new TsaSerials();

  private constructor(private readonly deps: TsaDeps, readonly maxTokenBytes: number) {}

  /** Opens the TSA: makes sure its certificate exists (issued at first start) and measures a token. */
  static async open(deps: TsaDeps): Promise<TimeStampAuthority> {
    const probe = new TimeStampAuthority(deps, 0);
    // The largest token this TSA makes in-process: sha512 imprint, certificates included.
    const req = parseTimeStampReq(buildTimeStampReq({ digestAlgorithm: 'sha512', messageImprint: new Uint8Array(64), nonce: randomBytes(32), certReq: true }));
    const token = await probe.token(req);
    return new TimeStampAuthority(deps, token.length + TOKEN_MARGIN);
  }

  /** The policies this TSA accepts in reqPolicy (its own). */
  get policies(): string[] {
    return [this.deps.settings.policy];
  }

  /** A token for an already checked request. */
  async token(req: ParsedTimeStampReq): Promise<Uint8Array> {
    return buildTimeStampToken(await this.tokenInput(req));
  }

  /** Answers a DER TimeStampReq (RFC 3161 §2.4): granted with a token, or a rejection with its failure bit. */
  async reply(reqDer: Uint8Array): Promise<TsaReply> {
    let req: ParsedTimeStampReq;
    try {
      req = parseTimeStampReq(reqDer);
    } catch {
      return { httpStatus: 400, body: buildTimeStampRejection('badDataFormat', 'The request is not a DER TimeStampReq') };
    }
    const problem = timeStampReqProblem(req, this.policies);
    if (problem) return { httpStatus: 200, body: buildTimeStampRejection(problem, REJECTION_TEXT[problem]) };
    try {
      return { httpStatus: 200, body: await buildTimeStampResp(await this.tokenInput(req)) };
    } catch (e) {
      // The key store or the certificate renewal failed: say so in TSP terms, never with internals.
      return { httpStatus: isAppError(e) && e.httpStatus < 500 ? 400 : 500, body: buildTimeStampRejection('systemFailure', 'The time-stamping unit is not available') };
    }
  }

  /** The in-process SignatureTimestamper (no network): the default for level B-T. */
  get timestamper(): SignatureTimestamper {
    return {
      maxTokenBytes: this.maxTokenBytes,
      timestamp: async (data: Uint8Array) => {
        const h = this.deps.settings.hash;
        const req = parseTimeStampReq(buildTimeStampReq({ digestAlgorithm: h, messageImprint: hash(h, data), certReq: true }));
        return this.token(req);
      },
    };
  }

  private async tokenInput(req: ParsedTimeStampReq): Promise<TimeStampTokenInput> {
    const unit = await this.deps.certs.current('tsa');
    const genTime = this.deps.clock.now();
    return {
      request: req,
      policy: this.deps.settings.policy,
      serialNumber: this.serials.next(genTime),
      genTime,
      genTimeMillis: this.deps.settings.genTimeMillis,
      accuracy: this.deps.settings.accuracy,
      tsaCertificate: unit.der,
      certificates: [this.deps.ca.issuing.der],
      signer: unit.signer,
      digestAlgorithm: unit.key.algorithm === 'EC-P384' ? 'sha384' : 'sha256',
    };
  }
}

const REJECTION_TEXT: Record<string, string> = {
  badAlg: 'Unsupported hash algorithm: use SHA-256, SHA-384 or SHA-512',
  badDataFormat: 'The message imprint does not have its algorithm\'s length',
  unacceptedPolicy: 'This TSA serves only its own policy',
  unacceptedExtension: 'No request extensions are supported',
};
