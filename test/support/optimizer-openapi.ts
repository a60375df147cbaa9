/**
 * Validates Optimizer Gen B responses against the published Gen B OpenAPI description
 * (test/optimizer/fixtures/oneshot-genb.yaml, a copy of shared/spec/oneshot-genb.yaml): finds the
 * operation by method and path template, then the schema of the response's status code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Ajv } from 'ajv';

const SPEC_PATH = join(import.meta.dirname, '..', 'optimizer', 'fixtures', 'oneshot-genb.yaml');

type Schema = Record<string, unknown>;

export class GenBSpec {
  readonly doc: any;
  private readonly ajv: Ajv;
  private readonly ops: { method: string; re: RegExp; path: string; op: any }[] = [];
  /** Responses that were checked against a schema (the test asserts it is not empty). */
  readonly checked: string[] = [];

  constructor() {
    this.doc = parse(readFileSync(SPEC_PATH, 'utf8'));
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    for (const [path, item] of Object.entries<any>(this.doc.paths)) {
      const re = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
      for (const [method, op] of Object.entries<any>(item)) this.ops.push({ method: method.toUpperCase(), re, path, op });
    }
    // Literal segments first, so /document/{pk}/contract beats /document/{pk}/{type}/{uid} shapes.
    const params = (p: string) => p.match(/\{/g)?.length ?? 0;
    this.ops.sort((a, b) => params(a.path) - params(b.path));
  }

  private resolve(s: any): Schema {
    if (s && typeof s === 'object') {
      if (typeof s.$ref === 'string') {
        const name = s.$ref.replace('#/components/schemas/', '');
        return this.resolve(this.doc.components.schemas[name]);
      }
      if (Array.isArray(s)) return s.map((x) => this.resolve(x)) as unknown as Schema;
      const out: Schema = {};
      for (const [k, v] of Object.entries(s)) out[k] = k === 'example' || k === 'examples' ? v : this.resolve(v);
      return out;
    }
    return s;
  }

  /** Returns null when valid or when the spec defines no JSON schema for this response. */
  check(method: string, url: string, status: number, body: unknown): string | null {
    const path = url.split('?')[0]!;
    const op = this.ops.find((o) => o.method === method && o.re.test(path));
    if (!op) return null;
    const resp = op.op.responses?.[status] ?? op.op.responses?.[String(status)];
    const schema = resp?.content?.['application/json']?.schema;
    if (!schema) return null;
    const validate = this.ajv.compile(this.resolve(schema));
    this.checked.push(`${method} ${op.path} ${status}`);
    return validate(body) ? null : `${method} ${url} ${status}: ${this.ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`;
  }
}
