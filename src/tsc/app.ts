/**
 * Wires the TSC: adapters (database, key store, OTP senders, contract renderer) into the domain,
 * and the domain into Fastify routes (DESIGN.md §2 rule 3: only app.ts/main.ts wire adapters).
 *
 * `buildTscApp(config, deps?)` returns the Fastify instance without listening, so the Optimizer's
 * tests and `npm start` can run the TSC in-process; `deps` replaces any adapter (tests pass a
 * ManualClock, a SoftHSM key store, recording senders…).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { KeyStore } from '../lib/keys/key-store.js';
import type { KeyPool } from '../lib/keys/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { TscConfig } from './config.js';
import { loadImportedCa } from './adapters/ca-import.js';
import { openKeyStore, openRsaPool } from './adapters/key-store-factory.js';
import { KeyStoreSignerKeys } from './adapters/key-store-signer-keys.js';
import { openTscPersistence } from './adapters/kysely/kysely-persistence.js';
import { buildOtpSenders } from './adapters/otp-senders.js';
import { PdfkitContractRenderer } from './adapters/pdfkit-contract-renderer.js';
import { ensureSandboxRao, type SandboxRaoCredentials } from './adapters/sandbox-rao.js';
import { FetchTsaTransport } from '../infra/http-tsa-transport.js';
import { CertificateAuthority } from './domain/ca/certificate-authority.js';
import { RevocationStatus } from './domain/ca/revocation-status.js';
import { ServiceCertificates } from './domain/ca/service-certificates.js';
import { RemoteTimestamper, TsaHealth } from './domain/tsa/remote-timestamper.js';
import { TimeStampAuthority } from './domain/tsa/time-stamp-authority.js';
import type { Timestamping } from './domain/tsa/timestamping.js';
import type { OtpChannel } from './domain/context.js';
import { HmacExtAuthVerifier } from './domain/otp/hmac-ext-auth-verifier.js';
import { CredentialCache } from './domain/ra/credential-cache.js';
import type {
  ContractRenderer, ExtAuthVerifier, OtpSender, SignatureTimestamper, SignerKeySource, TsaTransport, TscPersistence,
} from './domain/ports.js';
import type { SigningDeps } from './domain/signing/sign-digests.js';
import { registerTscHttp } from './http/index.js';
import type { TscFastify } from './http/context.js';

export interface TscAppDeps {
  clock?: Clock;
  persistence?: TscPersistence;
  keyStore?: KeyStore;
  signerKeys?: SignerKeySource;
  otpSenders?: Partial<Record<OtpChannel, OtpSender | null>>;
  extAuth?: ExtAuthVerifier;
  contracts?: ContractRenderer;
  /**
   * Replaces the default B-T timestamper (the TSC's own TSA, or TSC_TSA_URLS); null: B-T requests
   * are answered at B-B (and say so).
   */
  timestamper?: SignatureTimestamper | null;
  /** HTTP transport to external TSAs (default: fetch). */
  tsaTransport?: TsaTransport;
  logger?: FastifyServerOptions['logger'];
}

export interface TscRuntime {
  config: TscConfig;
  deps: SigningDeps;
  /** Set when the sandbox RAO exists; `generated` is true on the start that created it. */
  sandboxRao: { credentials: SandboxRaoCredentials; generated: boolean } | null;
  /** The pre-generated RSA signer keys, when a profile uses RSA. */
  rsaPool: KeyPool | null;
  /** The TSC's own TSA (POST /tsa). */
  tsa: TimeStampAuthority;
  /** TSA unit and OCSP responder certificates. */
  serviceCerts: ServiceCertificates;
  revocation: RevocationStatus;
}

export type TscApp = TscFastify & { tsc: TscRuntime };

/** Headers and fields that must never reach a log line (DESIGN.md §5). */
export const REDACT = ['req.headers.authorization', 'req.headers["x-rao-password"]', 'req.headers["x-rao-pin"]'];

/**
 * Errors are logged by name, code, message and stack only: driver errors carry extra fields (e.g.
 * PostgreSQL's `detail: Failing row contains (…)`) that could hold identity data.
 */
export function safeError(e: unknown): { type: string; message: string; stack: string; [k: string]: unknown } {
  if (!(e instanceof Error)) return { type: typeof e, message: String(e), stack: '' };
  const cause = (e as { cause?: unknown }).cause;
  return {
    type: e.name,
    message: e.message,
    code: (e as { code?: unknown }).code,
    stack: e.stack ?? '',
    ...(cause instanceof Error ? { cause: { type: cause.name, message: cause.message, code: (cause as { code?: unknown }).code } } : {}),
  };
}

export async function buildTscApp(config: TscConfig, deps: TscAppDeps = {}): Promise<TscApp> {
  mkdirSync(config.tscDir, { recursive: true, mode: 0o700 });
  const clock = deps.clock ?? systemClock;
  const owned: Array<() => Promise<void> | void> = [];
  try {
    const store = deps.persistence ?? (await openTscPersistence(config.databaseUrl));
    if (!deps.persistence) owned.push(() => store.close());

    let keyStore = deps.keyStore;
    let keyPersistence = null;
    if (!keyStore) {
      const opened = await openKeyStore(config);
      keyStore = opened.keyStore;
      keyPersistence = opened.persistence;
      owned.push(() => opened.keyStore.close());
    }
    const imported = config.caImport ? await loadImportedCa(config.caImport, keyPersistence) : undefined;
    const ca = await CertificateAuthority.open({
      store, keyStore, clock,
      settings: {
        publicUrl: config.publicUrl, pdsUrl: config.pdsUrl, providerName: config.providerName, country: config.caCountry,
        caValidityDays: config.caValidityDays, caKeyAlgorithm: config.caKeyAlgorithm, certValiditySeconds: config.certValiditySeconds,
      },
    }, imported);

    const rsaPool = deps.signerKeys ? null : openRsaPool(config, keyStore);
    // Closed before the key store (owned closes run in reverse): destroys the keys nobody took.
    if (rsaPool) owned.push(() => rsaPool.close());

    const built = buildOtpSenders(config);
    owned.push(() => built.close());
    const otpSenders = { ...built.senders, ...deps.otpSenders };

    const serviceCerts = new ServiceCertificates({
      ca, store, keyStore, clock,
      settings: {
        providerName: config.providerName, country: config.caCountry,
        tsa: { validityDays: config.tsa.certValidityDays, keyAlgorithm: config.tsa.keyAlgorithm },
        ocsp: { validityDays: config.ocsp.responderValidityDays, keyAlgorithm: config.ocsp.keyAlgorithm },
      },
    });
    // The TSA unit certificate is issued at first start (and renewed when due).
    const tsa = await TimeStampAuthority.open({
      ca, certs: serviceCerts, clock,
      settings: { policy: config.tsa.policy, accuracy: config.tsa.accuracy, genTimeMillis: config.tsa.genTimeMillis, hash: config.tsa.hash },
    });
    const timestamping = buildTimestamping(config, deps, tsa, clock);

    const signing: SigningDeps = {
      store,
      clock,
      settings: {
        env: config.env,
        scrypt: config.scrypt,
        otp: {
          ttlSeconds: config.otp.ttlSeconds, resendSeconds: config.otp.resendSeconds, maxAttempts: config.otp.maxAttempts,
          hmacKey: config.otp.hmacKey, defaultChannel: config.otp.defaultChannel,
        },
        certValiditySeconds: config.certValiditySeconds,
        providerName: config.providerName,
        maxDigestsPerCall: config.maxDigestsPerCall,
        signingClaimTimeoutMs: config.signingClaimTimeoutMs,
        signReplaySeconds: config.signReplaySeconds,
        videoidRas: config.videoidRas,
      },
      otpSenders,
      extAuth: deps.extAuth ?? new HmacExtAuthVerifier(config.extAuthKey, store.nonces, clock),
      contracts: deps.contracts ?? new PdfkitContractRenderer(),
      credentialCache: new CredentialCache(clock),
      ca,
      keyStore,
      signerKeys: deps.signerKeys ?? new KeyStoreSignerKeys(keyStore, rsaPool),
      timestamping,
      keyAlgorithmOverrides: config.profileKeyAlgorithms,
    };

    const revocation = new RevocationStatus({
      ca, keyStore, certificates: store.certificates, clock, statusValiditySeconds: config.statusValiditySeconds,
      serviceCerts, responder: config.ocsp.responder,
    });
    if (config.ocsp.responder === 'delegated') await serviceCerts.current('ocsp');

    const sandboxRao = config.sandboxRao
      ? await ensureSandboxRao({ store, clock, scrypt: config.scrypt }, join(config.tscDir, 'sandbox-rao.json'))
      : null;

    const app = Fastify({
      logger: deps.logger ?? (config.logLevel === 'silent' ? false : { level: config.logLevel, redact: REDACT, serializers: { err: safeError } }),
      bodyLimit: 64 * 1024,
      ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    }).withTypeProvider<TypeBoxTypeProvider>() as unknown as TscApp;

    await app.register(swagger, {
      openapi: {
        info: { title: 'One-Shot Trusted Service Center API', version: '1', description: 'The contract between the Optimizer and the TSC (docs/tsc-api.md).' },
        components: {
          securitySchemes: {
            client: { type: 'http', scheme: 'bearer', description: 'TSC_CLIENT_API_KEY' },
            admin: { type: 'http', scheme: 'bearer', description: 'TSC_ADMIN_API_KEY' },
          },
        },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });

    registerTscHttp(app, {
      deps: signing,
      clientApiKey: config.clientApiKey,
      adminApiKey: config.adminApiKey,
      signBodyLimitBytes: config.signBodyLimitBytes,
      crl: (which) => revocation.crl(which),
      ocsp: (der) => revocation.ocsp(der),
      tsa: (der) => tsa.reply(der),
      tsaCertificate: async () => (await serviceCerts.current('tsa')).der,
      pdsText: pdsText(config),
    });

    app.decorate('tsc', { config, deps: signing, sandboxRao, rsaPool, tsa, serviceCerts, revocation });
    app.addHook('onClose', async () => {
      for (const close of owned.reverse()) await close();
    });
    return app;
  } catch (e) {
    for (const close of owned.reverse()) await Promise.resolve(close()).catch(() => undefined);
    throw e;
  }
}

/** Default B-T timestamper and the external-TSA policy (issue 5; docs/levels.md). */
function buildTimestamping(config: TscConfig, deps: TscAppDeps, own: TimeStampAuthority, clock: Clock): Timestamping {
  const transport = deps.tsaTransport ?? new FetchTsaTransport();
  const health = new TsaHealth();
  const remote = {
    timeoutMs: config.tsa.timeoutMs, maxTokenBytes: config.tsa.maxTokenBytes, maxClockSkewMs: config.tsa.maxClockSkewSeconds * 1000, demoteMs: 30_000,
  };
  const forServers = (servers: Parameters<NonNullable<Timestamping['forServers']>>[0]) => new RemoteTimestamper(servers, transport, clock, remote, health);
  const injected = deps.timestamper !== undefined;
  return {
    default: injected ? deps.timestamper! : config.tsa.urls.length ? forServers(config.tsa.urls) : own.timestamper,
    defaultKind: injected ? (deps.timestamper ? 'injected' : 'none') : config.tsa.urls.length ? 'external' : 'own',
    failurePolicy: config.tsa.failurePolicy,
    forServers: config.tsa.callerUrls ? forServers : null,
    callerMaxTokenBytes: config.tsa.maxTokenBytes,
  };
}

function pdsText(config: TscConfig): string {
  return [
    `${config.providerName} — PKI disclosure statement`,
    '',
    'Certificates: single-use certificates for natural persons, profiles PFnubeQAFCiudadano (qualified, key in a QSCD,',
    `policy QCP-n-qscd 0.4.0.194112.1.2) and PFnubeNC (non-qualified, policy NCP 0.4.0.2042.1.1).`,
    `Validity: ${config.certValiditySeconds} seconds. The key is generated for one request and destroyed after its signatures.`,
    `CA certificates: ${config.publicUrl}/pki/root.crt, ${config.publicUrl}/pki/issuing.crt.`,
    `Revocation status: ${config.publicUrl}/pki/crl/issuing.crl and ${config.publicUrl}/ocsp.`,
    config.env === 'sandbox' ? 'SANDBOX: certificates from this environment have no legal effect.' : '',
  ].join('\n');
}
