// openapi.mjs: docs/openapi.yaml as the tests see it.
//
//   lintDocument()   the linter of `make test`: the OpenAPI 3.1 schema (with
//                    @seriousme/openapi-schema-validator) plus herald's own rules; prints every
//                    problem and resolves false when there is one
//   checkResponse(method, pathTemplate, status, body, headers)
//                    throws, with a readable list of differences, unless a real response matches
//                    what the document says that operation answers with that status
//   checkRequest(method, pathTemplate, body, contentType)
//                    throws unless a request body matches the documented request schema
//   routesFromC()    the route table of src/api/routes.c
//
// Schemas are compiled with Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1) in strict mode,
// with ajv-formats.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule.default ?? addFormatsModule;

export const DOC_PATH = fileURLToPath(new URL('../../../docs/openapi.yaml', import.meta.url));
export const ROUTES_PATH = fileURLToPath(new URL('../../../src/api/routes.c', import.meta.url));

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const SCHEMA_BASE = 'https://herald.invalid/openapi/schemas/';

// ---- loading ----

let cache = null;

/** The parsed document (cached); throws on YAML errors, duplicate keys included. */
export function loadDocument() {
  if (!cache) cache = { doc: parse(readFileSync(DOC_PATH, 'utf8'), { prettyErrors: true }), validators: new Map() };
  return cache.doc;
}

function unescapePointer(seg) {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The node at a local JSON pointer reference ("#/components/..."), or undefined. */
function pointer(doc, ref) {
  if (!ref.startsWith('#/')) return undefined;
  let node = doc;
  for (const seg of ref.slice(2).split('/').map(unescapePointer)) {
    if (node === null || typeof node !== 'object' || !(seg in node)) return undefined;
    node = node[seg];
  }
  return node;
}

/** Follows OpenAPI-level $refs (responses, parameters, headers, ...) to the object itself. */
function deref(doc, node) {
  const seen = new Set();
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    if (seen.has(node.$ref)) throw new Error(`circular $ref ${node.$ref}`);
    seen.add(node.$ref);
    const target = pointer(doc, node.$ref);
    if (target === undefined) throw new Error(`unresolved $ref ${node.$ref}`);
    node = target;
  }
  return node;
}

/** A copy of a schema whose refs to #/components/schemas/X point at the Ajv ids of those schemas. */
function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
      const [name, ...rest] = v.slice('#/components/schemas/'.length).split('/');
      out[k] = SCHEMA_BASE + encodeURIComponent(unescapePointer(name)) + (rest.length ? `#/${rest.join('/')}` : '');
    } else {
      out[k] = rewriteRefs(v);
    }
  }
  return out;
}

/** An Ajv with every component schema registered; strict, so a misspelt keyword is an error. */
function makeAjv(doc) {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true, verbose: true });
  addFormats(ajv);
  ajv.addVocabulary(['example', 'xml', 'externalDocs', 'discriminator']);
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
    ajv.addSchema(rewriteRefs(schema), SCHEMA_BASE + encodeURIComponent(name));
  return ajv;
}

function ajvOf() {
  const doc = loadDocument();
  if (!cache.ajv) cache.ajv = makeAjv(doc);
  return cache.ajv;
}

/** The compiled validator of the schema at `where` (a cache key), compiled once. */
function validatorFor(where, schema) {
  const ajv = ajvOf();
  let v = cache.validators.get(where);
  if (!v) {
    v = ajv.compile(rewriteRefs(schema));
    cache.validators.set(where, v);
  }
  return v;
}

// ---- operations ----

/** Every operation: [{method (upper case), path, op, pathItem}]. */
export function operations(doc = loadDocument()) {
  const out = [];
  for (const [path, rawItem] of Object.entries(doc.paths ?? {})) {
    const item = deref(doc, rawItem);
    for (const m of METHODS) if (item[m]) out.push({ method: m.toUpperCase(), path, op: item[m], pathItem: item });
  }
  return out;
}

export function operation(method, pathTemplate) {
  const doc = loadDocument();
  const item = doc.paths?.[pathTemplate] && deref(doc, doc.paths[pathTemplate]);
  const op = item?.[method.toLowerCase()];
  if (!op) {
    const known = operations(doc).map((o) => `${o.method} ${o.path}`).join('\n  ');
    throw new Error(`${method.toUpperCase()} ${pathTemplate} is not in docs/openapi.yaml; documented:\n  ${known}`);
  }
  return op;
}

/** The documented statuses of an operation, as strings ("200", "4XX", ...). */
export function documentedStatuses(method, pathTemplate) {
  return Object.keys(operation(method, pathTemplate).responses ?? {});
}

// ---- checking real traffic ----

function headerGetter(headers) {
  if (!headers) return () => undefined;
  if (typeof headers.get === 'function') return (n) => headers.get(n) ?? undefined;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (n) => lower[n.toLowerCase()];
}

function valueAt(data, instancePath) {
  let node = data;
  for (const seg of instancePath.split('/').slice(1).map(unescapePointer)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[seg];
  }
  return node;
}

function short(v, max = 200) {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Ajv errors as lines a person reads: where, what the document says, what came. */
function describeErrors(errors, data) {
  const lines = [];
  const seen = new Set();
  for (const e of errors) {
    const at = e.instancePath || '(top level)';
    let line;
    if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
      const p = e.params.additionalProperty ?? e.params.unevaluatedProperty;
      line = `+ ${at}: "${p}" is not in the document (value ${short(valueAt(data, `${e.instancePath}/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`))})`;
    } else if (e.keyword === 'required') {
      line = `- ${at}: "${e.params.missingProperty}" is documented as required but missing`;
    } else if (e.keyword === 'enum') {
      line = `~ ${at}: ${short(e.data)} is not one of ${short(e.params.allowedValues)}`;
    } else if (e.keyword === 'const') {
      line = `~ ${at}: ${short(e.data)} is not ${short(e.params.allowedValue)}`;
    } else if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'allOf') {
      continue; // the errors of the branches say more
    } else {
      line = `~ ${at}: ${e.message} (got ${short(e.data)}; schema ${e.schemaPath})`;
    }
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  }
  return lines.length ? lines : errors.map((e) => `~ ${e.instancePath || '(top level)'}: ${e.message}`);
}

function mediaTypeOf(contentType) {
  return (contentType || '').split(';')[0].trim().toLowerCase();
}

function isJson(mt) {
  return mt === 'application/json' || mt.endsWith('+json');
}

/**
 * Checks a real response against the document: the status must be documented for the operation,
 * required headers present and every documented header valid, the Content-Type one of the
 * documented media types and the body valid against its schema (no body where none is
 * documented). Throws an Error listing every difference; returns true otherwise.
 * body: the raw text, or the parsed JSON value (null or '' for none).
 * headers: a fetch Headers, or a plain object of header names to values.
 */
export function checkResponse(method, pathTemplate, status, body, headers) {
  const doc = loadDocument();
  const op = operation(method, pathTemplate);
  const where = `${method.toUpperCase()} ${pathTemplate} → ${status}`;
  const responses = op.responses ?? {};
  const raw = responses[String(status)] ?? responses[`${String(status)[0]}XX`];
  const bodyText = typeof body === 'string' ? body : body == null ? '' : JSON.stringify(body);
  if (!raw) {
    throw new Error(`${where}: status ${status} is not documented for this operation ` +
      `(documented: ${Object.keys(responses).join(', ')})\nbody: ${bodyText.slice(0, 2000)}`);
  }
  const resp = deref(doc, raw);
  const get = headerGetter(headers);
  const problems = [];

  for (const [name, rawHeader] of Object.entries(resp.headers ?? {})) {
    if (name.toLowerCase() === 'content-type') continue; // ignored by OpenAPI
    const h = deref(doc, rawHeader);
    const value = get(name);
    if (value === undefined || value === null) {
      if (h.required) problems.push(`- header ${name}: documented as required but missing`);
      continue;
    }
    if (h.schema) {
      const v = validatorFor(`response-header ${where} ${name}`, h.schema);
      if (!v(value)) problems.push(...describeErrors(v.errors, value).map((l) => `${l[0]} header ${name}${l.slice(1).replace(/^ \(top level\)/, '')}`));
    }
  }

  const content = resp.content ?? {};
  const mediaTypes = Object.keys(content);
  let data;
  if (mediaTypes.length === 0) {
    if (bodyText !== '') problems.push(`+ body: none is documented, got ${short(bodyText)}`);
  } else {
    const mt = mediaTypeOf(get('content-type'));
    const key = mediaTypes.find((k) => mediaTypeOf(k) === mt) ??
      mediaTypes.find((k) => k.endsWith('/*') && mt.startsWith(k.slice(0, -1))) ??
      mediaTypes.find((k) => k === '*/*');
    if (!key) {
      problems.push(`~ Content-Type: ${short(get('content-type'))} is not documented (documented: ${mediaTypes.join(', ')})`);
    } else if (content[key].schema) {
      let ok = true;
      if (isJson(mediaTypeOf(key))) {
        if (typeof body === 'string') {
          try { data = JSON.parse(body); } catch (e) {
            problems.push(`~ body: not JSON (${e.message}): ${short(body)}`);
            ok = false;
          }
        } else {
          data = body;
        }
      } else {
        data = bodyText;
      }
      if (ok) {
        const v = validatorFor(`response ${where} ${key}`, content[key].schema);
        if (!v(data)) problems.push(...describeErrors(v.errors, data));
      }
    }
  }

  if (problems.length) {
    const shown = data !== undefined ? JSON.stringify(data, null, 2) : bodyText;
    throw new Error(`${where}: the response differs from docs/openapi.yaml ` +
      `(+ undocumented, - missing, ~ different):\n  ${problems.join('\n  ')}\n` +
      `body:\n${shown.length > 4000 ? `${shown.slice(0, 4000)}…` : shown}`);
  }
  return true;
}

/** Checks a request body (a JS value; for a form, an object of strings) against the document. */
export function checkRequest(method, pathTemplate, body, contentType = 'application/json') {
  const doc = loadDocument();
  const op = operation(method, pathTemplate);
  const where = `${method.toUpperCase()} ${pathTemplate} request`;
  const rb = op.requestBody && deref(doc, op.requestBody);
  if (!rb) throw new Error(`${where}: no request body is documented`);
  const media = rb.content?.[contentType];
  if (!media) throw new Error(`${where}: ${contentType} is not documented (documented: ${Object.keys(rb.content ?? {}).join(', ')})`);
  const v = validatorFor(`${where} ${contentType}`, media.schema ?? {});
  if (!v(body))
    throw new Error(`${where}: the body differs from docs/openapi.yaml:\n  ${describeErrors(v.errors, body).join('\n  ')}\nbody: ${JSON.stringify(body, null, 2)}`);
  return true;
}

// ---- the C route table ----

const AUTH_SCOPES = {
  NOTIF_R: 'notifications:read',
  NOTIF_W: 'notifications:write',
  ADMIN_R: 'admin:read',
  ADMIN_W: 'admin:write',
  HD_SCOPE_NOTIFICATIONS_READ: 'notifications:read',
  HD_SCOPE_NOTIFICATIONS_WRITE: 'notifications:write',
  HD_SCOPE_ADMIN_READ: 'admin:read',
  HD_SCOPE_ADMIN_WRITE: 'admin:write',
};

/**
 * The rows of the route table in src/api/routes.c:
 * [{method, path ("{}" for a parameter), handler, auth, scope (a scope name or null)}].
 */
export function routesFromC(text = readFileSync(ROUTES_PATH, 'utf8')) {
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  const row = /\{\s*HTTP_([A-Z]+)\s*,\s*"([^"]*)"\s*,\s*(\w+)\s*,\s*(HD_AUTH_\w+)\s*,\s*(\w+)\s*,/g;
  const out = [];
  for (const m of noComments.matchAll(row)) {
    out.push({
      method: m[1],
      path: m[2],
      handler: m[3],
      auth: m[4],
      scope: m[5] === '0' ? null : (AUTH_SCOPES[m[5]] ?? m[5]),
    });
  }
  return out;
}

/** "/v1/systems/{systemId}" → "/v1/systems/{}", the route table's spelling. */
export function anonymousPath(path) {
  return path.replace(/\{[^}]*\}/g, '{}');
}

// ---- the linter ----

function* walkSchemas(doc) {
  for (const [name, s] of Object.entries(doc.components?.schemas ?? {})) yield [`#/components/schemas/${name}`, s];
  const paramSchemas = function* (where, params) {
    for (const [i, p] of (params ?? []).entries()) if (!p.$ref && p.schema) yield [`${where}/parameters/${i}`, p.schema];
  };
  const contentSchemas = function* (where, content) {
    for (const [mt, m] of Object.entries(content ?? {})) if (m.schema) yield [`${where}/content/${mt}`, m.schema];
  };
  for (const [name, p] of Object.entries(doc.components?.parameters ?? {})) if (p.schema) yield [`#/components/parameters/${name}`, p.schema];
  for (const [name, h] of Object.entries(doc.components?.headers ?? {})) if (h.schema) yield [`#/components/headers/${name}`, h.schema];
  for (const [name, r] of Object.entries(doc.components?.responses ?? {})) {
    yield* contentSchemas(`#/components/responses/${name}`, r.content);
    for (const [hn, h] of Object.entries(r.headers ?? {})) if (!h.$ref && h.schema) yield [`#/components/responses/${name}/headers/${hn}`, h.schema];
  }
  for (const [name, r] of Object.entries(doc.components?.requestBodies ?? {})) yield* contentSchemas(`#/components/requestBodies/${name}`, r.content);
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    yield* paramSchemas(`paths ${path}`, item.parameters);
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const where = `${m.toUpperCase()} ${path}`;
      yield* paramSchemas(where, op.parameters);
      if (op.requestBody && !op.requestBody.$ref) yield* contentSchemas(`${where} requestBody`, op.requestBody.content);
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        if (r.$ref) continue;
        yield* contentSchemas(`${where} ${status}`, r.content);
        for (const [hn, h] of Object.entries(r.headers ?? {})) if (!h.$ref && h.schema) yield [`${where} ${status} header ${hn}`, h.schema];
      }
    }
  }
}

/** Every example of a media type or parameter, with the schema it must satisfy. */
function* walkExamples(doc) {
  const fromMedia = function* (where, content) {
    for (const [mt, raw] of Object.entries(content ?? {})) {
      const m = deref(doc, raw);
      if (!m.schema) continue;
      if ('example' in m) yield [`${where} ${mt} example`, m.schema, m.example];
      for (const [n, ex] of Object.entries(m.examples ?? {})) {
        const e = deref(doc, ex);
        if ('value' in e) yield [`${where} ${mt} examples.${n}`, m.schema, e.value];
      }
    }
  };
  const fromParams = function* (where, params) {
    for (const raw of params ?? []) {
      const p = deref(doc, raw);
      if (p.schema && 'example' in p) yield [`${where} parameter ${p.name} example`, p.schema, p.example];
    }
  };
  for (const [name, r] of Object.entries(doc.components?.responses ?? {})) yield* fromMedia(`#/components/responses/${name}`, r.content);
  for (const [name, r] of Object.entries(doc.components?.requestBodies ?? {})) yield* fromMedia(`#/components/requestBodies/${name}`, r.content);
  yield* fromParams('#/components/parameters', Object.values(doc.components?.parameters ?? {}));
  for (const { method, path, op, pathItem } of operations(doc)) {
    const where = `${method} ${path}`;
    yield* fromParams(where, [...(pathItem.parameters ?? []), ...(op.parameters ?? [])]);
    if (op.requestBody && !op.requestBody.$ref) yield* fromMedia(`${where} requestBody`, op.requestBody.content);
    for (const [status, r] of Object.entries(op.responses ?? {})) if (!r.$ref) yield* fromMedia(`${where} ${status}`, r.content);
  }
}

/** herald's own rules, beyond the OpenAPI schema. Returns a list of problems. */
export function houseRules(doc) {
  const problems = [];
  const ajv = makeAjv(doc); // compiles nothing yet; a bad component shows up below
  const compiled = new Map();
  for (const [where, schema] of walkSchemas(doc)) {
    try {
      compiled.set(schema, ajv.compile(rewriteRefs(schema)));
    } catch (e) {
      problems.push(`${where}: the schema does not compile: ${e.message}`);
    }
  }
  for (const [where, schema, value] of walkExamples(doc)) {
    const v = compiled.get(schema) ?? (() => { try { return ajv.compile(rewriteRefs(schema)); } catch { return null; } })();
    if (v && !v(value)) problems.push(`${where} does not match its schema:\n    ${describeErrors(v.errors, value).join('\n    ')}`);
  }

  const schemes = doc.components?.securitySchemes ?? {};
  const ids = new Map();
  for (const { method, path, op, pathItem } of operations(doc)) {
    const where = `${method} ${path}`;
    for (const field of ['operationId', 'summary', 'description', 'tags'])
      if (!op[field] || (typeof op[field] === 'string' && !op[field].trim())) problems.push(`${where}: no ${field}`);
    if (op.operationId) {
      if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} is also used by ${ids.get(op.operationId)}`);
      ids.set(op.operationId, where);
    }
    const statuses = Object.keys(op.responses ?? {});
    // a redirect (3xx) is the success of a route that only redirects (GET / → /console)
    if (!statuses.some((s) => /^[23]/.test(s))) problems.push(`${where}: no success (2xx or 3xx) response`);
    if (statuses.includes('default')) problems.push(`${where}: a "default" response hides undocumented statuses; list them`);
    for (const s of statuses) {
      const r = deref(doc, op.responses[s]);
      if (!r.description?.trim()) problems.push(`${where} ${s}: no description`);
      if ((s === '204' || s === '304') && r.content) problems.push(`${where} ${s}: a ${s} has no body`);
    }
    const params = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].map((p) => deref(doc, p));
    const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const name of inPath)
      if (!params.some((p) => p.in === 'path' && p.name === name)) problems.push(`${where}: path parameter {${name}} is not declared`);
    for (const p of params) {
      if (p.in === 'path' && !inPath.includes(p.name)) problems.push(`${where}: declares path parameter ${p.name} that is not in the path`);
      if (p.in === 'path' && p.required !== true) problems.push(`${where}: path parameter ${p.name} must be required: true`);
      if (!p.description?.trim()) problems.push(`${where}: parameter ${p.name} has no description`);
    }
    const security = op.security ?? doc.security;
    if (!security) problems.push(`${where}: no security (write security: [] for a public route)`);
    for (const req of security ?? []) {
      for (const [name, scopes] of Object.entries(req)) {
        const scheme = schemes[name];
        if (!scheme) { problems.push(`${where}: unknown security scheme ${name}`); continue; }
        if (scheme.type === 'oauth2') {
          const known = new Set(Object.values(scheme.flows ?? {}).flatMap((f) => Object.keys(f.scopes ?? {})));
          for (const s of scopes) if (!known.has(s)) problems.push(`${where}: scope ${s} is not a scope of ${name}`);
        }
      }
    }
    if (['POST', 'PUT', 'PATCH'].includes(method) && op.requestBody) {
      const rb = deref(doc, op.requestBody);
      for (const [mt, m] of Object.entries(rb.content ?? {}))
        if (!('example' in m) && !Object.keys(m.examples ?? {}).length) problems.push(`${where}: the ${mt} request body has no example`);
    }
  }
  return problems;
}

/**
 * The lint step of `make test`: the OpenAPI 3.x schema and $refs (@seriousme/openapi-schema-validator),
 * then houseRules. Prints a verdict; resolves true when the document is clean.
 */
export async function lintDocument({ out = console.log, err = console.error } = {}) {
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  const problems = [];
  let doc;
  try {
    doc = parse(readFileSync(DOC_PATH, 'utf8'), { prettyErrors: true });
  } catch (e) {
    err(`docs/openapi.yaml: ${e.message}`);
    return false;
  }
  const validator = new Validator();
  const res = await validator.validate(structuredClone(doc));
  if (!res.valid) {
    const errors = Array.isArray(res.errors) ? res.errors : [res.errors];
    for (const e of errors) {
      if (typeof e === 'string') problems.push(e);
      else problems.push(`${e.instancePath || '(top level)'}: ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    }
  } else if (!String(doc.openapi).startsWith('3.1')) {
    problems.push(`openapi: ${doc.openapi}; herald's document is OpenAPI 3.1`);
  }
  try {
    problems.push(...houseRules(doc));
  } catch (e) {
    problems.push(e.message);
  }
  if (problems.length) {
    err(`docs/openapi.yaml: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    return false;
  }
  out(`docs/openapi.yaml: valid OpenAPI ${doc.openapi}, ${operations(doc).length} operations`);
  return true;
}
