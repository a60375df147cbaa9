/**
 * TypeBox schemas of the VideoID routes (Gen B CreateReqObject_VID, UploadData_VID,
 * PlApproveReqObject, RefuseReqObject_VID, ValidateReqObject_VID). Types only: the One-Shot texts for
 * missing fields come from the use cases. Members beyond the documented ones are allowed.
 */
import { Type, type TSchema } from 'typebox';

const StrOrNum = Type.Union([Type.String(), Type.Number()]);

export const idParams = (name: string) => Type.Object({ id: Type.String({ description: name }) });
export const idItemParams = (name: string) =>
  Type.Object({ id: Type.String({ description: name }), item: Type.String({ description: 'document_front | document_rear | document_photo | document_owner | video' }) });
export const pkParams = Type.Object({ pk: Type.String({ description: 'Request pk' }) });

const credentials = {
  token: Type.Optional(Type.String({ description: "Token holding the RAO's credentials" })),
  username: Type.Optional(StrOrNum),
  password: Type.Optional(Type.String()),
  pin: Type.Optional(StrOrNum),
  rao: Type.Optional(StrOrNum),
};

export const CreateVideoIdBody = Type.Object(
  {
    mobile_phone_number: Type.Optional(StrOrNum),
    email: Type.Optional(Type.String()),
    registration_authority: Type.Optional(StrOrNum),
    profile: Type.Optional(Type.String()),
    billing_username: Type.Optional(Type.String()),
    billing_password: Type.Optional(Type.String()),
    webhook_url: Type.Optional(Type.String({ description: 'Webhook target for this request (testing; the RA-level one is settings.webhook.url)' })),
    env: Type.Optional(Type.String({ description: 'sandbox | prod' })),
    videoid_mode: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()], { description: "1 | 'eidas' (hosted link, default: settings.videoid.mode) or 2 | 'external'" })),
    given_name: Type.Optional(Type.String()),
    surname_1: Type.Optional(Type.String()),
    surname_2: Type.Optional(Type.String()),
    serial_number: Type.Optional(StrOrNum),
    id_document_type: Type.Optional(Type.String()),
    id_document_country: Type.Optional(Type.String()),
    communication_language: Type.Optional(Type.String()),
    ...credentials,
  },
  { additionalProperties: true, description: 'Credentials: token or username/password/pin; without them settings.videoid.token is used' },
);

const b64 = Type.String({ description: 'base64 (a data: URL prefix is accepted); JPEG or PNG' });
export const EvidencesBody = Type.Object(
  {
    acceptance: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Free-form acceptance record (description, url-doc-privacypolicy, ip, url-web-videoid, user-agent, date, url-doc-termsconditions)' })),
    videoid_data: Type.Optional(
      Type.Object(
        {
          images: Type.Optional(Type.Object({
            document_front: Type.Optional(b64), document_rear: Type.Optional(b64),
            document_photo: Type.Optional(b64), document_owner: Type.Optional(b64),
          }, { additionalProperties: true })),
          ocr_data: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'given_name*, surname_1*, surname_2, mobile_phone_number, email, serial_number*, id_document_type (IDC|PAS|PNO|TIN), id_document_country' })),
          security_checks: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'booleans: otp_validation, documents_match, data_integrity, document_notcopy, document_notexpired, document_notunderage, liveliness' })),
          similarity_level: Type.Optional(Type.Union([Type.Integer(), Type.String()], { description: '0..100 or low | medium | high' })),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);

export const ReviewBody = Type.Union([Type.Object(credentials, { additionalProperties: true }), Type.Null()]);
export const RefuseBody = Type.Union([
  Type.Object({ ...credentials, reason: Type.Optional(Type.String({ description: 'Why the identification is refused (required)' })) }, { additionalProperties: true }),
  Type.Null(),
]);

function docsOnly(s: TSchema): TSchema {
  return { ...s, 'x-docs-only': true } as TSchema;
}
export const VideoUploadBody = docsOnly(Type.Object({ video: Type.String({ format: 'binary', description: 'WebM or MP4' }) }));
