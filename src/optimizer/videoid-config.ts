/**
 * Configuration of VideoID (issue 7); every variable is documented in docs/videoid.md. Loaded by
 * config.ts into `OptimizerConfig.videoid`.
 */
export interface VideoIdConfig {
  /** Base URL of the hosted identification links; null → the URL the Optimizer listens on. */
  publicUrl: string | null;
  linkTtlSeconds: number;
  maxVideoBytes: number;
  maxImageBytes: number;
  /** Largest JSON body of POST …/evidences (up to four base64 images). */
  maxEvidenceBodyBytes: number;
  /**
   * Reverse proxies (load balancers) in front of the Optimizer that append the client's address to
   * X-Forwarded-For: the signer's IP in the acceptance evidence is read that many entries from the
   * right. 0: the socket's peer (a client-sent X-Forwarded-For is never believed).
   */
  proxyHops: number;
}

function int(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return n;
}

export function loadVideoIdConfig(env: NodeJS.ProcessEnv): VideoIdConfig {
  const publicUrl = env.OPTIMIZER_PUBLIC_URL ? env.OPTIMIZER_PUBLIC_URL.replace(/\/+$/, '') : null;
  if (publicUrl !== null && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(publicUrl)) {
    throw new Error(`OPTIMIZER_PUBLIC_URL must be an http(s) URL, got ${JSON.stringify(env.OPTIMIZER_PUBLIC_URL)}`);
  }
  const maxImageBytes = int(env, 'OPTIMIZER_VIDEOID_MAX_IMAGE_BYTES', 10 * 1024 * 1024, 1024, 64 * 1024 * 1024);
  return {
    publicUrl,
    linkTtlSeconds: int(env, 'OPTIMIZER_VIDEOID_LINK_TTL_SECONDS', 24 * 3600, 60, 30 * 86400),
    maxVideoBytes: int(env, 'OPTIMIZER_VIDEOID_MAX_VIDEO_BYTES', 100 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
    maxImageBytes,
    // Four images in base64 (4/3 of the bytes) plus the JSON around them.
    maxEvidenceBodyBytes: Math.ceil((4 * maxImageBytes * 4) / 3) + 256 * 1024,
    proxyHops: int(env, 'OPTIMIZER_VIDEOID_PROXY_HOPS', 0, 0, 10),
  };
}
