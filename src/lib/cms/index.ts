export type { CmsSigner, CmsKeyAlgorithm, DigestAlgorithmName } from './signer.js';
export { keyStoreSigner } from './signer.js';
export { OID } from './oids.js';
export {
  DIGEST_LENGTH, assertDigest, digestAlgorithmIdentifier, digestNameOfOid, hash, isDigestAlgorithmName, keyAlgorithmOfSpki,
  signatureAlgorithmIdentifier,
} from './algorithms.js';
export { certificateInfo, subjectKeyIdentifierOf, type CertificateInfo } from './certificate-info.js';
export { certificateUrls, type CertificateUrls } from './certificate-urls.js';
export { signingCertificateV2, parseSigningCertificateV2, essSigningCertificateProblem, type EssCertId } from './ess.js';
export {
  encodeSignedAttributes, encodeAttribute, decodeAttributes, attributeValue, octetStringContent,
  type AttributeSpec, type DecodedAttribute, type SignatureProfile, type SignedAttributesInput,
} from './signed-attributes.js';
export {
  assembleSignedData, signDigest, addUnsignedAttribute, signatureValueOf, verifyWithCertificate,
  type AssembleSignedDataInput, type SignDigestInput,
} from './signed-data.js';
export { parseSignedData, type ParsedSignedData, type ParsedSignerInfo, type SignerIdentifier } from './signed-data-parser.js';
export { buildCertificate, randomSerialNumber, defaultHashFor, type CertificateSpec } from './x509-builder.js';
export {
  encodeExtension, extension, basicConstraints, keyUsage, extKeyUsage, keyIdentifierOf, subjectKeyIdentifier, authorityKeyIdentifier,
  certificatePolicies, crlDistributionPoints, authorityInfoAccess, subjectAltName, qcStatements, ocspNoCheck, decodeExtensions,
  type ExtensionSpec, type KeyUsageName, type PolicySpec, type QcStatementsSpec,
} from './x509-extensions.js';
export { encodeName, parseName, etsiPersonIdentifier, type NameSpec, type NameAttribute } from './x509-name.js';
export { verifyRaw } from './verify.js';
export { type CrlReason, CRL_REASONS, isCrlReason, crlReasonCode, crlReasonName } from './crl-reasons.js';
export { buildCrl, parseCrl, type BuildCrlInput, type CrlEntry, type ParsedCrl } from './crl.js';
export {
  certIdFor, certIdMatchesIssuer, parseOcspRequest, buildOcspRequest, buildOcspResponse, buildOcspErrorResponse, parseOcspResponse,
  type CertId, type CertIdHash, type ParsedOcspRequest, type BuildOcspRequestInput, type OcspCertStatus, type SingleResponseSpec,
  type BuildOcspResponseInput, type OcspErrorStatus, type ParsedOcspResponse, type ParsedSingleResponse,
} from './ocsp.js';
export {
  buildTimeStampReq, parseTimeStampReq, timeStampReqProblem, encodeTstInfo, buildTimeStampToken, buildTimeStampResp, buildTimeStampRejection,
  parseTstInfo, parseTimeStampToken, parseTimeStampResp,
  type BuildTimeStampReqInput, type ParsedTimeStampReq, type TspFailure, type TimeStampTokenInput, type TstInfo, type ParsedTimeStampToken,
  type ParsedTimeStampResp,
} from './tsp.js';
export {
  verifySignedData, checkTimeStampResp, tsaCertificateProblem,
  type VerifySignedDataOptions, type VerifiedSignedData, type CheckTimeStampRespExpectation, type CheckedTimeStamp,
} from './verify-signed-data.js';
export { checkOcspResponse, type CheckOcspExpectation, type CheckedOcsp } from './ocsp-check.js';
export { verifyCertificateSignature, hashOfSignatureAlgorithm } from './verify.js';
