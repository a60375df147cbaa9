// Independent PDF signature checker on Debian's PDFBox 2 + BouncyCastle (DESIGN.md §7).
// It shares no code with One-Shot: it re-reads the file with PDFBox, re-verifies every CMS with
// BouncyCastle, and prints one JSON object with what it found. Usage: java VerifyPdf file.pdf
import java.io.File;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSObject;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.util.Store;

public class VerifyPdf {
  static final ASN1ObjectIdentifier SIGNING_CERT_V2 = PKCSObjectIdentifiers.id_aa_signingCertificateV2;
  static final ASN1ObjectIdentifier SIGNING_TIME = PKCSObjectIdentifiers.pkcs_9_at_signingTime;
  static final ASN1ObjectIdentifier SIG_TIMESTAMP = PKCSObjectIdentifiers.id_aa_signatureTimeStampToken;

  public static void main(String[] args) throws Exception {
    Security.addProvider(new BouncyCastleProvider());
    File file = new File(args[0]);
    byte[] all = java.nio.file.Files.readAllBytes(file.toPath());
    StringBuilder out = new StringBuilder("{\"signatures\":[");
    try (PDDocument doc = PDDocument.load(file)) {
      List<PDSignature> sigs = doc.getSignatureDictionaries();
      for (int i = 0; i < sigs.size(); i++) {
        if (i > 0) out.append(',');
        out.append(check(sigs.get(i), all));
      }
      out.append("],\"dss\":").append(dss(doc));
    }
    out.append('}');
    System.out.println(out);
  }

  static String check(PDSignature sig, byte[] all) {
    StringBuilder o = new StringBuilder("{");
    try {
      int[] br = sig.getByteRange();
      byte[] contents = sig.getContents(all);
      byte[] signed = sig.getSignedContent(all);
      boolean coversWhole = br.length == 4 && br[0] == 0 && (long) br[2] + br[3] == all.length;
      o.append("\"subFilter\":").append(str(sig.getSubFilter()));
      o.append(",\"name\":").append(str(sig.getName()));
      o.append(",\"byteRange\":").append(Arrays.toString(br));
      o.append(",\"coversWholeFile\":").append(coversWhole);
      if ("ETSI.RFC3161".equals(sig.getSubFilter())) {
        TimeStampToken tst = new TimeStampToken(new CMSSignedData(contents));
        byte[] imprint = tst.getTimeStampInfo().getMessageImprintDigest();
        byte[] expect = MessageDigest.getInstance("SHA-256").digest(signed);
        o.append(",\"docTimestamp\":true,\"imprintMatches\":").append(Arrays.equals(imprint, expect));
        o.append(",\"tstValid\":").append(verifyTst(tst));
      } else {
        CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(signed), contents);
        Store<X509CertificateHolder> certs = cms.getCertificates();
        SignerInformation si = cms.getSignerInfos().getSigners().iterator().next();
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> match = certs.getMatches(si.getSID());
        X509CertificateHolder cert = match.iterator().next();
        boolean valid = si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(cert));
        AttributeTable signedAttrs = si.getSignedAttributes();
        o.append(",\"cmsValid\":").append(valid);
        o.append(",\"signer\":").append(str(cert.getSubject().toString()));
        o.append(",\"signingCertificateV2\":").append(signedAttrs != null && signedAttrs.get(SIGNING_CERT_V2) != null);
        o.append(",\"signingTime\":").append(signedAttrs != null && signedAttrs.get(SIGNING_TIME) != null);
        AttributeTable unsigned = si.getUnsignedAttributes();
        Attribute ts = unsigned == null ? null : unsigned.get(SIG_TIMESTAMP);
        o.append(",\"signatureTimestamp\":").append(ts != null);
        if (ts != null) {
          TimeStampToken tst = new TimeStampToken(new CMSSignedData(ts.getAttrValues().getObjectAt(0).toASN1Primitive().getEncoded()));
          byte[] imprint = tst.getTimeStampInfo().getMessageImprintDigest();
          byte[] expect = MessageDigest.getInstance(tst.getTimeStampInfo().getHashAlgorithm().getAlgorithm().getId().equals("2.16.840.1.101.3.4.2.1") ? "SHA-256" : "SHA-512").digest(si.getSignature());
          o.append(",\"tstImprintMatches\":").append(Arrays.equals(imprint, expect));
          o.append(",\"tstValid\":").append(verifyTst(tst));
        }
      }
    } catch (Exception e) {
      o.append(o.length() > 1 ? "," : "").append("\"error\":").append(str(e.toString()));
    }
    return o.append('}').toString();
  }

  static boolean verifyTst(TimeStampToken tst) {
    try {
      @SuppressWarnings("unchecked")
      Collection<X509CertificateHolder> m = tst.getCertificates().getMatches(tst.getSID());
      if (m.isEmpty()) return false;
      tst.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(m.iterator().next()));
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  static String dss(PDDocument doc) {
    COSDictionary cat = doc.getDocumentCatalog().getCOSObject();
    COSBase d = cat.getDictionaryObject(COSName.getPDFName("DSS"));
    if (!(d instanceof COSDictionary)) return "null";
    COSDictionary dss = (COSDictionary) d;
    StringBuilder o = new StringBuilder("{");
    String[] keys = {"Certs", "OCSPs", "CRLs"};
    for (int i = 0; i < keys.length; i++) {
      COSBase a = dss.getDictionaryObject(COSName.getPDFName(keys[i]));
      int n = a instanceof COSArray ? ((COSArray) a).size() : 0;
      o.append(i > 0 ? "," : "").append('"').append(keys[i]).append("\":").append(n);
    }
    COSBase vri = dss.getDictionaryObject(COSName.getPDFName("VRI"));
    o.append(",\"VRI\":").append(vri instanceof COSDictionary ? ((COSDictionary) vri).size() : 0);
    return o.append('}').toString();
  }

  static String str(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
