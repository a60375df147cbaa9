/**
 * TypeBox schemas of the TSC API: request validation, response serialisation and the OpenAPI
 * description served at /docs/json come from these same objects (docs/tsc-api.md is the prose).
 * Shapes are checked here; One-Shot field rules and texts are the domain's (identity-validation.ts).
 */
import { Type } from 'typebox';

const Str = (o: Record<string, unknown> = {}) => Type.String(o);
const Opt = Type.Optional;
/** A scalar the domain validates (One-Shot clients send some numbers as strings and vice versa). */
const Scalar = (description: string) => Type.Union([Type.String({ maxLength: 512 }), Type.Number()], { description });

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Str({ description: 'Stable error code (src/shared/errors.ts)' }),
      message: Str(),
      details: Opt(Type.Unknown()),
    }),
  },
  { $id: 'TscError' },
);

export const PkParams = Type.Object({ pk: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Request id' }) });
export const UsernameParams = Type.Object({ username: Str({ minLength: 1, maxLength: 64 }) });
export const SerialParams = Type.Object({ serial: Str({ pattern: '^[0-9A-Fa-f]{2,40}$', description: 'Certificate serial (hex)' }) });

const identityFields = {
  given_name: Opt(Scalar('Given name')),
  surname_1: Opt(Scalar('First surname')),
  surname_2: Opt(Scalar('Second surname')),
  email: Opt(Scalar('E-mail (subjectAltName rfc822Name)')),
  mobile_phone_number: Opt(Scalar('Mobile number with international prefix, e.g. +34600123123')),
  id_document_type: Opt(Scalar('IDC | PAS | PNO | TIN | CI | CE (default IDC)')),
  id_document_country: Opt(Scalar('ISO 3166-1 alpha-2 (default ES)')),
  serial_number: Opt(Scalar('Identity document number')),
  residence: Opt(Scalar('Residence')),
  residence_city: Opt(Scalar('Residence city')),
  residence_postal_code: Opt(Scalar('Residence postal code')),
  residence_address: Opt(Scalar('Residence address')),
  profile: Opt(Scalar('PFnubeQAFCiudadano | PFnubeNC')),
  communication_language: Opt(Scalar('ES | EN | PL (default ES)')),
};

export const CreateRequestBody = Type.Object({
  ...identityFields,
  registration_authority: Opt(Scalar('Registration authority id; defaults to the RAO\'s own')),
  videoid_mode: Opt(Type.Union([Type.Boolean(), Type.Integer(), Type.String({ maxLength: 5 })])),
  approve: Opt(Type.Union([Type.Boolean(), Type.Integer(), Type.String({ maxLength: 5 })], { description: 'Create and approve in one call (classic flow; needs X-RAO-Pin)' })),
});

export const UpdateRequestBody = Type.Object(identityFields);

export const ReasonBody = Type.Object({ reason: Opt(Str({ maxLength: 500 })) });
export const StatusBody = Type.Object({
  status: Str({ description: 'VIDEOPENDING | VIDEOINCOMPLETE | VIDEOREVIEW | VIDEOERROR | CREATED' }),
  reason: Opt(Str({ maxLength: 500 })),
});

const RaoUser = Type.Union([
  Type.Object({ pk: Type.Integer(), request: Type.Integer(), permission_profile: Type.Integer(), registration_authority: Type.Integer() }),
  Type.Null(),
]);

const CertificateItem = Type.Object({
  serial_number: Str(), status: Str(), valid_from: Str(), valid_to: Str(), profile: Str(), data: Str({ description: 'base64 DER' }),
});

export const RequestObject = Type.Object(
  {
    pk: Type.Integer(),
    status: Str(),
    given_name: Str(), surname_1: Str(), surname_2: Str(), email: Str(), mobile_phone_number: Str(), serial_number: Str(),
    id_document_type: Str(), id_document_country: Str(), country_name: Str(), profile: Str(),
    registration_authority: Type.Integer(), scratchcard: Str(), validity_time: Str(),
    paperless_mode: Type.Boolean(), videoid_mode: Type.Boolean(), secure_element: Type.Integer(), communication_language: Str(),
    residence: Str(), residence_city: Str(), residence_postal_code: Str(), residence_address: Str(),
    certificate_set: Type.Array(CertificateItem),
    registering_user: RaoUser,
    approving_user: RaoUser,
    approving_rao: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
    status_reason: Type.Union([Str(), Type.Null()]),
    created_at: Str(), updated_at: Str(),
  },
  { $id: 'TscRequest', description: 'The Gen B request object (oneshot-api.md §1.4 #15)' },
);

export const RaoVerifyResponse = Type.Object({
  rao_id: Type.Integer(), username: Str(), registration_authority: Type.Integer(), password_checked: Type.Boolean(), pin_checked: Type.Boolean(),
});

export const OtpBody = Type.Object({ delivery_method: Opt(Str({ description: 'sms | whatsapp | email' })) });
export const OtpResponse = Type.Object({ sent: Type.Boolean(), channel: Str(), expires_at: Str() });

export const SigningInfoQuery = Type.Object({
  profile: Opt(Str({ maxLength: 64 })), level: Opt(Str({ maxLength: 8 })),
  external_tsa: Opt(Type.Boolean({ description: 'size for a TSA named in the sign call (tsa.servers)' })),
});
export const SigningInfoResponse = Type.Object({
  profile: Str(), level: Str(), key_algorithm: Str(), cms_max_bytes: Type.Integer(), chain: Type.Array(Str()),
  tst_max_bytes: Opt(Type.Integer({ description: 'B-T: bound of one timestamp token of the TSA that will stamp' })),
  revocation: Type.Object({ ocsp: Type.Array(Str()), crl: Type.Array(Str()) }, { description: 'AIA OCSP and CRL DP URLs of single-use certificates' }),
});

const DigestItem = Type.Object(
  {
    id: Str({ minLength: 1, maxLength: 128 }),
    digest_algorithm: Str({ maxLength: 16, description: 'sha256 | sha384 | sha512' }),
    digest: Str({ maxLength: 88, description: 'base64 of the digest; nothing else fits' }),
    format: Opt(Str({ maxLength: 8, description: 'pades (default) | cades' })),
    signing_time: Opt(Type.Union([Type.Boolean(), Type.Integer({ minimum: 0, maximum: 1 })])),
    other_attributes: Opt(Type.Array(
      Type.Object({ oid: Str({ maxLength: 256 }), values: Type.Array(Str({ maxLength: 1368 }), { maxItems: 4 }) }, { additionalProperties: false }),
      { maxItems: 8 },
    )),
  },
  { additionalProperties: false },
);

/** Optional replay key of a sign call (docs/tsc-api.md "Replay"); its format is checked by the use case. */
export const SignHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    description: '8-128 visible ASCII characters. The same key, digests and OTP repeated after success get the stored answer (replayed: true) within TSC_SIGN_REPLAY_SECONDS; without it a second call is 412',
  })),
});

/** Digests only: unknown members are refused, so the body cannot smuggle anything else. */
export const SignBody = Type.Object(
  {
    secret: Opt(Str({ maxLength: 256, description: 'OTP, or the customer code with external authentication' })),
    ext_unlock_type: Opt(Str({ maxLength: 64 })),
    ext_unlock_value: Opt(Str({ maxLength: 2048 })),
    level: Opt(Str({ maxLength: 8, description: 'B-B | B-T' })),
    tsa: Opt(Type.Object({
      servers: Opt(Type.Array(Type.Union([Str({ maxLength: 2048 }), Type.Object({
        url: Str({ maxLength: 2048 }), hash_algorithm: Opt(Str({ maxLength: 8 })), policy: Opt(Str({ maxLength: 256 })),
      }, { additionalProperties: false })]), { maxItems: 5, description: 'RFC 3161 TSAs tried in order instead of the TSC\'s' })),
      failure_policy: Opt(Str({ maxLength: 16, description: 'fail-closed | degrade' })),
    }, { additionalProperties: false })),
    digests: Opt(Type.Array(DigestItem, { maxItems: 64 })),
  },
  { additionalProperties: false },
);

export const SignResponse = Type.Object({
  certificate: Str({ description: 'base64 DER single-use certificate' }),
  chain: Type.Array(Str(), { description: 'base64 DER [issuing CA, root CA]' }),
  signatures: Type.Array(Type.Object({ id: Str(), cms: Str({ description: 'base64 DER ContentInfo(SignedData), detached' }) })),
  serial_number: Str(),
  level: Str({ description: 'The level produced' }),
  requested_level: Str(),
  degraded: Type.Boolean({ description: 'B-T was asked, the TSA failed, policy degrade signed at B-B' }),
  degradation_reason: Opt(Str()),
  key_algorithm: Str(),
  replayed: Type.Boolean({ description: 'The stored answer of an earlier identical call on this request (same digests and authorisation, within TSC_SIGN_REPLAY_SECONDS)' }),
});

export const NewRaoBody = Type.Object(
  {
    username: Str({ minLength: 1, maxLength: 64 }),
    password: Str({ minLength: 1, maxLength: 256 }),
    pin: Str({ minLength: 1, maxLength: 64 }),
    registration_authority: Type.Integer({ minimum: 1, maximum: 2147483647 }),
  },
  { additionalProperties: false },
);
export const RaoItem = Type.Object({ rao_id: Type.Integer(), username: Str(), registration_authority: Type.Integer(), created_at: Str() });

export const RevokeBody = Type.Object(
  { reason: Opt(Str({ description: 'RFC 5280 §5.3.1 reason name, e.g. keyCompromise (default unspecified)' })) },
  { additionalProperties: false },
);
export const RevokeResponse = Type.Object({ serial_number: Str(), status: Str(), revoked_at: Str(), reason: Str() });

export const AuditVerifyResponse = Type.Object({
  ok: Type.Boolean(), entries: Type.Integer(), first_broken: Opt(Type.Integer()), reason: Opt(Str()),
});

export const HealthResponse = Type.Object({
  status: Str(), env: Str(), key_store: Str(), database: Str(), level_bt: Type.Boolean(),
  tsa: Str({ description: 'own | external | injected | none: who stamps B-T signatures by default' }),
  tsa_failure_policy: Str({ description: 'fail-closed | degrade' }),
});
