/**
 * TypeBox schemas of the Optimizer API: they validate JSON bodies, params and queries (types
 * only: the One-Shot texts for missing fields come from the use cases) and feed the OpenAPI
 * document served at /docs. Multipart bodies are described (`x-docs-only`) but read as a stream.
 */
import { Type, type TSchema } from 'typebox';

const StrOrNum = Type.Union([Type.String(), Type.Number()]);
const StrOrBool = Type.Union([Type.String(), Type.Boolean(), Type.Number()]);

export const PkParams = Type.Object({ pk: Type.String({ description: 'Request pk (positive integer)' }) });
export const UidParams = Type.Object({ uid: Type.String({ description: 'uid (32 hex or dashed UUID)' }) });
export const PkUidParams = Type.Object({ pk: Type.String(), uid: Type.String() });
export const PkTypeUidParams = Type.Object({
  pk: Type.String(),
  type: Type.String({ description: "'original' or 'signed'" }),
  uid: Type.String(),
});
export const DocumentTypeQuery = Type.Object({
  document_type: Type.Optional(Type.Union([Type.Literal('original'), Type.Literal('signed'), Type.Literal('')])),
});

export const TokenBody = Type.Object(
  {
    username: Type.Optional(StrOrNum),
    password: Type.Optional(Type.String()),
    pin: Type.Optional(StrOrNum),
    env: Type.Optional(Type.String({ description: 'sandbox | prod (default: settings.general.environment)' })),
  },
  { additionalProperties: true },
);

export const SettingsBody = Type.Object(
  {
    tsa: Type.Optional(Type.Object({
      tsa_url: Type.Optional(Type.String()), tsa_failover_urls: Type.Optional(Type.Array(Type.String())),
      tsa_hash_algorithms: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'imprint hash per TSA URL: sha256 | sha384 | sha512' })),
    })),
    request: Type.Optional(Type.Object({ default_profile: Type.Optional(Type.String()), default_ra: Type.Optional(StrOrNum) })),
    billing: Type.Optional(Type.Object({ billing_username: Type.Optional(Type.String()), billing_password: Type.Optional(Type.String()) })),
    proxy: Type.Optional(Type.Object({}, { additionalProperties: true })),
    general: Type.Optional(
      Type.Object({
        environment: Type.Optional(Type.String()), rootstore: Type.Optional(Type.String()),
        configuration: Type.Optional(Type.String()), usepdfclean: Type.Optional(StrOrBool),
      }),
    ),
    signature: Type.Optional(Type.Object({
      level: Type.Optional(Type.String({ description: 'B-B | B-T | B-LT | B-LTA (docs/levels.md)' })),
      failure_policy: Type.Optional(Type.String({ description: 'fail-closed | degrade: what a TSA or validation-data failure does' })),
    })),
    webhook: Type.Optional(Type.Object({ url: Type.Optional(Type.String()) })),
  },
  { additionalProperties: true },
);

export const MetadataBody = Type.Object(
  { metadata: Type.Optional(Type.String({ description: 'base64' })), metadata_oid: Type.Optional(Type.String()) },
  { additionalProperties: true },
);

const requestFields = {
  given_name: Type.Optional(Type.String()),
  surname_1: Type.Optional(Type.String()),
  surname_2: Type.Optional(Type.String()),
  id_document_type: Type.Optional(Type.String({ description: 'IDC | PAS | PNO | TIN | CI | CE (default IDC)' })),
  id_document_country: Type.Optional(Type.String({ description: 'ISO 3166-1 alpha-2 (default ES)' })),
  serial_number: Type.Optional(StrOrNum),
  email: Type.Optional(Type.String()),
  mobile_phone_number: Type.Optional(StrOrNum),
  registration_authority: Type.Optional(StrOrNum),
  profile: Type.Optional(Type.String()),
  token: Type.Optional(Type.String()),
  username: Type.Optional(StrOrNum),
  password: Type.Optional(Type.String()),
  pin: Type.Optional(StrOrNum),
  env: Type.Optional(Type.String()),
  billing_username: Type.Optional(Type.String()),
  billing_password: Type.Optional(Type.String()),
  useasync: Type.Optional(StrOrBool),
  callback: Type.Optional(Type.String()),
  communication_language: Type.Optional(Type.String()),
  residence: Type.Optional(Type.String()),
  residence_city: Type.Optional(Type.String()),
  residence_postal_code: Type.Optional(StrOrNum),
  residence_address: Type.Optional(Type.String()),
  special_conditions: Type.Optional(Type.String()),
};

/** JSON or multipart/form-data with the same field names (oneshot-api.md §1.4 #14). */
export const CreateRequestBody = Type.Object(requestFields, { additionalProperties: true });

export const UpdateRequestBody = Type.Object(
  {
    given_name: Type.Optional(Type.String()), surname_1: Type.Optional(Type.String()), surname_2: Type.Optional(Type.String()),
    birth_date: Type.Optional(Type.String()), email: Type.Optional(Type.String()), mobile_phone_number: Type.Optional(StrOrNum),
    serial_number: Type.Optional(StrOrNum), registration_authority: Type.Optional(StrOrNum), profile: Type.Optional(Type.String()),
    country_name: Type.Optional(Type.String()), scratchcard: Type.Optional(StrOrNum),
  },
  { additionalProperties: true },
);

export const OtpBody = Type.Union([
  Type.Object({ delivery_method: Type.Optional(Type.String({ description: 'sms | whatsapp | email' })) }, { additionalProperties: true }),
  Type.Null(),
]);

const DocOptions = Type.Object(
  { position: Type.Optional(Type.String({ description: 'x1,y1,x2,y2 in pt from the bottom-left' })), page: Type.Optional(StrOrNum), image: Type.Optional(Type.String()), usecountersignature: Type.Optional(StrOrBool) },
  { additionalProperties: true },
);

export const SignBody = Type.Object(
  {
    secret: Type.Optional(StrOrNum),
    ext_unlock_type: Type.Optional(Type.String()),
    ext_unlock_value: Type.Optional(Type.String()),
    use_signature_text: Type.Optional(StrOrBool),
    metadata: Type.Optional(Type.String()),
    level: Type.Optional(Type.String({ description: 'B-B | B-T | B-LT | B-LTA (default: settings.signature.level)' })),
    options: Type.Optional(Type.Record(Type.String(), DocOptions, { description: 'Gen B: keyed by document uid' })),
    signature_format: Type.Optional(
      Type.Object({ text_format: Type.Optional(Type.Array(Type.String())), date_format: Type.Optional(Type.String()), timezone: Type.Optional(Type.String()) }, { additionalProperties: true }),
    ),
    signature: Type.Optional(
      Type.Object(
        {
          appearance: Type.Optional(
            Type.Object(
              {
                text: Type.Optional(Type.Array(Type.String())), date: Type.Optional(Type.String()), timezone: Type.Optional(Type.String()),
                position: Type.Optional(Type.String()), page: Type.Optional(StrOrNum), image: Type.Optional(Type.String()),
                b64_image: Type.Optional(Type.String()),
              },
              { additionalProperties: true },
            ),
          ),
        },
        { additionalProperties: true, description: 'Gen C' },
      ),
    ),
  },
  { additionalProperties: true },
);

function docsOnly(s: TSchema): TSchema {
  return { ...s, 'x-docs-only': true } as TSchema;
}

const binary = Type.String({ format: 'binary' });
export const UploadDocumentBody = docsOnly(
  Type.Object(
    {
      file: Type.Optional(binary),
      hashfile: Type.Optional(Type.Union([binary, Type.String({ description: 'hash-flow JSON: messageDigest, digestAlgorithm, addAuthAttribute, addSigningTime, otherAuthAttributes' })])),
    },
    { additionalProperties: true, description: '1..10 PDFs under any field names; `hashfile` for the hash flow' },
  ),
);
export const UploadImageBody = docsOnly(Type.Object({ image: binary }));
export const MultipartCreateRequestBody = docsOnly(
  Type.Object({ ...requestFields, document_front: Type.Optional(binary), document_rear: Type.Optional(binary), document_owner: Type.Optional(binary), extra_document: Type.Optional(binary) }),
);
