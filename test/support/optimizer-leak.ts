/**
 * "Only hashes leave" check (DESIGN.md §1 invariant): does any 32-byte window of a document occur
 * in what the TSC received — raw, or inside any base64 / base64url / hex run once decoded (at
 * every alignment)? All 32-byte windows of the (small) traffic go into a set; the (large)
 * document is then scanned once, one set lookup per offset: O(traffic + document).
 */
export const WINDOW = 32;

export interface Traffic {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: Buffer;
}

function decodedRuns(text: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{43,}={0,2}/g)) {
    const run = m[0].replace(/=+$/, '');
    for (let k = 0; k < 4; k++) {
      const s = run.slice(k);
      out.push(Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
    }
  }
  for (const m of text.matchAll(/[0-9a-fA-F]{64,}/g)) {
    out.push(Buffer.from(m[0].length % 2 ? m[0].slice(1) : m[0], 'hex'));
    out.push(Buffer.from(m[0].slice(1, m[0].length - ((m[0].length - 1) % 2)), 'hex'));
  }
  return out;
}

export function trafficWindows(traffic: Traffic[]): Set<string> {
  const set = new Set<string>();
  const add = (b: Buffer) => {
    const s = b.toString('latin1');
    for (let i = 0; i + WINDOW <= s.length; i++) set.add(s.substr(i, WINDOW));
  };
  for (const t of traffic) {
    const text = [t.method, t.url, JSON.stringify(t.headers), t.body.toString('latin1')].join('\n');
    add(Buffer.from(text, 'latin1'));
    add(t.body);
    for (const d of decodedRuns(`${decodeURIComponent(t.url)}\n${JSON.stringify(t.headers)}\n${t.body.toString('latin1')}`)) add(d);
  }
  return set;
}

/** Offset of the first window of `doc` seen in the traffic, or -1. */
export function findLeak(doc: Buffer, windows: Set<string>): number {
  const s = doc.toString('latin1');
  for (let i = 0; i + WINDOW <= s.length; i++) if (windows.has(s.substr(i, WINDOW))) return i;
  return -1;
}
