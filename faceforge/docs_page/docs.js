// Offline viewer for /openapi.json: endpoint list, schema trees and (in "try" mode) try-it forms.
// Everything from the document reaches the page through textContent or attribute values.

const MODE = document.body.dataset.mode === "reference" ? "reference" : "try";
const TOKEN_STORAGE_KEY = "faceforge.docs.token";
const TOKEN_HEADER = "X-FaceForge-Token";
const BODY_DISPLAY_LIMIT = 100 * 1024;
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const UNTAGGED = "other";
const SCHEMA_REF_PREFIX = "#/components/schemas/";
const CONSTRAINT_LABELS = [
  ["minimum", "≥"], ["exclusiveMinimum", ">"], ["maximum", "≤"], ["exclusiveMaximum", "<"],
  ["minLength", "min length"], ["maxLength", "max length"], ["minItems", "min items"],
  ["maxItems", "max items"], ["pattern", "pattern"], ["default", "default"],
];

let spec = {};
let idCounter = 0;
const filterEntries = [];

// ---------- DOM helpers ----------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  return appendChildren(node, children);
}

// Like Element.append, but flattens arrays and skips null / undefined / false.
function appendChildren(node, children) {
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

function uniqueId(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function formatValue(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function textBlock(text, className = "description") {
  return text ? el("p", { class: className, text }) : null;
}

// Built on first opening, so large documents stay fast and cyclic schemas stay finite.
function lazyDetails(summaryChildren, buildContent, { open = false, className, id } = {}) {
  const details = el("details", { class: className, id }, el("summary", {}, ...summaryChildren));
  let built = false;
  const buildOnce = () => {
    if (built || !details.open) return;
    built = true;
    details.append(buildContent());
  };
  details.addEventListener("toggle", buildOnce);
  if (open) {
    details.open = true;
    buildOnce();
  }
  return details;
}

// ---------- $ref resolution ----------

function lookupPointer(ref) {
  if (typeof ref !== "string" || !ref.startsWith("#/")) return undefined;
  let node = spec;
  for (const rawKey of ref.slice(2).split("/")) {
    const key = pointerKey(rawKey);
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

// Follows chains of $ref (a parameter pointing at a parameter...); null when broken or cyclic.
function deref(node) {
  const visited = new Set();
  while (node && typeof node === "object" && typeof node.$ref === "string") {
    if (visited.has(node.$ref)) return null;
    visited.add(node.$ref);
    node = lookupPointer(node.$ref);
  }
  return node ?? null;
}

function pointerKey(rawKey) {
  return safeDecode(rawKey).replaceAll("~1", "/").replaceAll("~0", "~");
}

function schemaRef(name) {
  return SCHEMA_REF_PREFIX + name.replaceAll("~", "~0").replaceAll("/", "~1");
}

function refName(ref) {
  return ref.startsWith(SCHEMA_REF_PREFIX) ? pointerKey(ref.slice(SCHEMA_REF_PREFIX.length)) : ref;
}

function schemaAnchor(name) {
  return `schema-${name}`;
}

// ---------- schema trees ----------

// An untyped oneOf/anyOf/allOf gets no label: its variants are listed right below it.
function inferredTypes(schema) {
  if (schema.properties || schema.additionalProperties) return ["object"];
  if (schema.items) return ["array"];
  if (schema.oneOf || schema.anyOf || schema.allOf) return [];
  return ["any"];
}

function typeLabel(schema) {
  if (schema === true || schema === undefined || schema === null) return "any";
  if (schema === false) return "never";
  if (schema.$ref) return refName(schema.$ref);
  if ("const" in schema) return `const ${JSON.stringify(schema.const)}`;
  const types = [].concat(schema.type ?? inferredTypes(schema));
  if (schema.nullable && !types.includes("null")) types.push("null");
  const format = schema.format ?? (schema.contentMediaType ? `binary ${schema.contentMediaType}` : null);
  return types
    .map((type) => {
      if (type === "array") return `array of ${typeLabel(schema.items) || "mixed items"}`;
      return format && type !== "null" ? `${type} (${format})` : type;
    })
    .join(" | ");
}

function typeBadge(schema) {
  if (schema?.$ref?.startsWith(SCHEMA_REF_PREFIX)) {
    const name = refName(schema.$ref);
    return el("a", { class: "type", href: `#${encodeURIComponent(schemaAnchor(name))}`, text: name });
  }
  const label = typeLabel(schema);
  return label ? el("span", { class: "type", text: label }) : null;
}

function schemaFacts(schema) {
  const facts = [];
  for (const [keyword, label] of CONSTRAINT_LABELS) {
    if (keyword in schema) facts.push(`${label} ${formatValue(schema[keyword])}`);
  }
  const examples = schema.examples ?? ("example" in schema ? [schema.example] : []);
  if (examples.length) facts.push(`example ${examples.map(formatValue).join(", ")}`);
  for (const flag of ["readOnly", "writeOnly", "deprecated", "uniqueItems"]) {
    if (schema[flag] === true) facts.push(flag);
  }
  return facts;
}

function schemaSummaryLine(schema) {
  const line = el("div", { class: "schema-line" }, typeBadge(schema));
  if (schema && typeof schema === "object") {
    if (schema.title) line.append(el("span", { class: "title", text: schema.title }));
    if (Array.isArray(schema.enum)) {
      line.append(el("span", { class: "enum", "aria-label": "allowed values" },
        schema.enum.map((value) => el("code", { text: JSON.stringify(value) }))));
    }
    const facts = schemaFacts(schema);
    if (facts.length) line.append(el("span", { class: "facts", text: facts.join(" · ") }));
    if (schema.description) line.append(el("span", { class: "description", text: schema.description }));
  }
  return line;
}

function needsOwnRow(schema) {
  return schema && typeof schema === "object" && Object.keys(schema).some((key) => !["type", "format"].includes(key));
}

function schemaChildren(schema, ancestors) {
  const rows = [];
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    rows.push(propertyRow(name, child, required.has(name), ancestors));
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    rows.push(propertyRow("additional properties", schema.additionalProperties, false, ancestors, "meta"));
  }
  if (needsOwnRow(schema.items)) {
    rows.push(propertyRow("items", schema.items, false, ancestors, "meta"));
  }
  for (const keyword of ["allOf", "oneOf", "anyOf"]) {
    if (!Array.isArray(schema[keyword])) continue;
    const variants = el("ol", { class: "variants" },
      schema[keyword].map((variant) => el("li", {}, schemaBlock(variant, ancestors))));
    rows.push(el("li", {}, el("span", { class: "name meta", text: keyword }), variants));
  }
  return rows.length ? el("ul", { class: "props" }, rows) : null;
}

function propertyRow(name, schema, isRequired, ancestors, nameClass = "") {
  return el("li", {},
    el("span", {},
      el("code", { class: `name ${nameClass}`, text: name }),
      isRequired ? el("abbr", { class: "required", title: "required", text: "*" }) : null),
    schemaBlock(schema, ancestors));
}

// A schema as a tree: its summary line, then properties / items / variants.
// `ancestors` holds the $refs being expanded above this node, to stop recursion.
function schemaBlock(schema, ancestors = new Set(), { open = false } = {}) {
  let nested = null;
  if (schema && typeof schema === "object") {
    nested = schema.$ref ? refExpansion(schema.$ref, ancestors, open) : schemaChildren(schema, ancestors);
  }
  return el("div", { class: "schema" }, schemaSummaryLine(schema), nested);
}

function refExpansion(ref, ancestors, open) {
  const target = lookupPointer(ref);
  if (target === undefined) return el("p", { class: "note", text: `Unresolved reference ${ref}` });
  if (ancestors.has(ref)) return el("p", { class: "note", text: `Recursive: ${refName(ref)} contains itself.` });
  const inner = new Set(ancestors).add(ref);
  return lazyDetails([`${refName(ref)} schema`], () => schemaBlock(target, inner), { open, className: "ref" });
}

// ---------- operations ----------

function mergedParameters(pathLevel = [], operationLevel = []) {
  const byKey = new Map();
  for (const raw of [...pathLevel, ...operationLevel]) {
    const parameter = deref(raw);
    if (parameter) byKey.set(`${parameter.in}:${parameter.name}`, parameter);
  }
  return [...byKey.values()];
}

function collectOperations(paths) {
  const operations = [];
  for (const [path, rawItem] of Object.entries(paths ?? {})) {
    const item = deref(rawItem) ?? {};
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation || typeof operation !== "object") continue;
      const parameters = mergedParameters(item.parameters, operation.parameters);
      const tags = operation.tags?.length ? operation.tags : [UNTAGGED];
      operations.push({ path, method, operation, parameters, tags });
    }
  }
  return operations;
}

function groupByTag(operations) {
  const groups = new Map();
  for (const tag of spec.tags ?? []) groups.set(tag.name, []);
  for (const entry of operations) {
    for (const tag of entry.tags) {
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(entry);
    }
  }
  if (groups.has(UNTAGGED)) {
    const untagged = groups.get(UNTAGGED);
    groups.delete(UNTAGGED);
    groups.set(UNTAGGED, untagged);
  }
  return [...groups].filter(([, entries]) => entries.length);
}

function needsNoToken(operation) {
  const requirements = operation.security ?? spec.security;
  return Array.isArray(requirements) &&
    (requirements.length === 0 || requirements.some((requirement) => Object.keys(requirement).length === 0));
}

function methodBadge(method) {
  return el("span", { class: `method method-${method}`, text: method.toUpperCase() });
}

function operationSummary(entry) {
  const { operation } = entry;
  return [
    methodBadge(entry.method),
    el("code", { class: "path", text: entry.path }),
    el("span", { class: "summary", text: operation.summary ?? "" }),
    operation.deprecated ? el("span", { class: "badge deprecated", text: "deprecated" }) : null,
    needsNoToken(operation) ? el("span", { class: "badge public", text: "no token" }) : null,
  ];
}

function parametersTable(parameters) {
  const rows = parameters.map((parameter) => el("tr", {},
    el("th", { scope: "row" }, el("code", { text: parameter.name ?? "?" })),
    el("td", { text: parameter.in ?? "" }),
    el("td", { text: parameter.required ? "required" : "optional" }),
    el("td", {}, schemaBlock(parameterSchema(parameter))),
    el("td", { text: parameter.description ?? "" })));
  return el("table", { class: "params" },
    el("thead", {}, el("tr", {}, ["Name", "In", "Required", "Schema", "Description"].map((label) => el("th", { scope: "col", text: label })))),
    el("tbody", {}, rows));
}

function parameterSchema(parameter) {
  if (parameter.schema) return parameter.schema;
  const firstMedia = Object.values(parameter.content ?? {})[0];
  return firstMedia?.schema;
}

function contentList(content) {
  return Object.entries(content ?? {}).map(([mediaType, media]) =>
    el("div", { class: "media" },
      el("code", { class: "media-type", text: mediaType }),
      media?.schema ? schemaBlock(media.schema, new Set(), { open: true }) : null));
}

function requestBodySection(rawBody) {
  const body = deref(rawBody);
  if (!body) return el("p", { class: "note", text: "Unresolved request body reference." });
  return el("section", {},
    el("h3", { text: body.required ? "Request body (required)" : "Request body" }),
    textBlock(body.description),
    contentList(body.content));
}

function responsesSection(responses) {
  const items = Object.entries(responses ?? {}).map(([status, raw]) => {
    const response = deref(raw) ?? { description: "Unresolved response reference." };
    const statusClass = `status status-${status[0]}`;
    return el("li", { class: "response" },
      el("div", {}, el("span", { class: statusClass, text: status }), " ", response.description ?? ""),
      contentList(response.content));
  });
  return el("section", {}, el("h3", { text: "Responses" }), el("ul", { class: "responses" }, items));
}

function operationDetails(entry) {
  const { operation } = entry;
  return el("div", { class: "op-body" },
    textBlock(operation.description),
    operation.operationId ? el("p", { class: "op-id" }, "operationId ", el("code", { text: operation.operationId })) : null,
    entry.parameters.length ? el("section", {}, el("h3", { text: "Parameters" }), parametersTable(entry.parameters)) : null,
    operation.requestBody ? requestBodySection(operation.requestBody) : null,
    responsesSection(operation.responses),
    MODE === "try" ? tryItForm(entry) : null);
}

// ---------- try it ----------

function isBinarySchema(schema) {
  const resolved = deref(schema);
  if (!resolved || typeof resolved !== "object") return false;
  return resolved.format === "binary" || "contentMediaType" in resolved;
}

function parameterControl(parameter) {
  const id = uniqueId("param");
  const schema = deref(parameterSchema(parameter)) ?? {};
  const required = parameter.in === "path" || parameter.required === true;
  let control;
  if (Array.isArray(schema.enum)) {
    control = el("select", { id, required },
      el("option", { value: "", text: required ? "— choose —" : "— not set —" }),
      schema.enum.map((value) => el("option", { value: formatValue(value), text: formatValue(value) })));
  } else {
    const hint = [].concat(schema.type).includes("array") ? "comma-separated " : "";
    control = el("input", { id, type: "text", required, autocomplete: "off", placeholder: `${hint}${typeLabel(schema)}` });
    if ("default" in schema) control.value = formatValue(schema.default);
  }
  const label = el("label", { for: id },
    el("code", { text: parameter.name }), ` (${parameter.in})`, required ? " *" : "");
  return { parameter, schema, control, field: el("div", { class: "field" }, label, control) };
}

function jsonBodyEditor(mediaType) {
  const id = uniqueId("body");
  const textarea = el("textarea", { id, rows: 6, spellcheck: "false" });
  textarea.value = "{}";
  const read = () => {
    const text = textarea.value.trim();
    if (!text) return null;
    try {
      JSON.parse(text);
    } catch (error) {
      throw new Error(`The request body is not valid JSON: ${error.message}`);
    }
    return { body: text, contentType: mediaType };
  };
  return { element: el("div", { class: "field" }, el("label", { for: id, text: `Request body (${mediaType})` }), textarea), read };
}

function fileField(labelText, multiple) {
  const id = uniqueId("file");
  const input = el("input", { id, type: "file", multiple });
  return { input, element: el("div", { class: "field" }, el("label", { for: id, text: labelText }), input) };
}

function multipartEditor(media) {
  const schema = deref(media?.schema) ?? {};
  const properties = Object.entries(schema.properties ?? { file: { type: "string", format: "binary" } });
  const fields = properties.map(([name, property]) => {
    const isArray = deref(property)?.type === "array";
    if (isBinarySchema(property) || (isArray && isBinarySchema(deref(property).items))) {
      return { name, ...fileField(`${name} (file)`, isArray) };
    }
    const id = uniqueId("part");
    const input = el("input", { id, type: "text", autocomplete: "off", placeholder: typeLabel(property) });
    return { name, input, element: el("div", { class: "field" }, el("label", { for: id, text: name }), input) };
  });
  const read = () => {
    const form = new FormData();
    for (const { name, input } of fields) {
      if (input.type === "file") for (const file of input.files) form.append(name, file);
      else if (input.value !== "") form.append(name, input.value);
    }
    return { body: form, contentType: null };
  };
  return { element: el("div", {}, fields.map((field) => field.element)), read };
}

function octetStreamEditor(mediaType) {
  const { input, element } = fileField("Request body (file)", false);
  const read = () => {
    if (!input.files.length) throw new Error("Choose a file to send as the request body.");
    return { body: input.files[0], contentType: mediaType };
  };
  return { element, read };
}

function editorFor(mediaType, media) {
  if (mediaType === "application/json" || mediaType.endsWith("+json")) return jsonBodyEditor(mediaType);
  if (mediaType === "multipart/form-data") return multipartEditor(media);
  if (mediaType === "application/octet-stream") return octetStreamEditor(mediaType);
  return null;
}

// One editor per supported media type, with a chooser when there are several.
function bodyEditor(rawBody) {
  const content = deref(rawBody)?.content ?? {};
  const editors = Object.entries(content)
    .map(([mediaType, media]) => ({ mediaType, editor: editorFor(mediaType, media) }))
    .filter(({ editor }) => editor);
  if (!editors.length) {
    return { element: el("p", { class: "note", text: "This request body type cannot be sent from this page." }), read: () => null };
  }
  let current = editors[0];
  const slot = el("div", {}, current.editor.element);
  const container = el("div", { class: "body-editor" });
  if (editors.length > 1) {
    const id = uniqueId("body-type");
    const chooser = el("select", { id }, editors.map(({ mediaType }) => el("option", { value: mediaType, text: mediaType })));
    chooser.addEventListener("change", () => {
      current = editors.find(({ mediaType }) => mediaType === chooser.value);
      slot.replaceChildren(current.editor.element);
    });
    container.append(el("div", { class: "field" }, el("label", { for: id, text: "Body type" }), chooser));
  }
  container.append(slot);
  return { element: container, read: () => current.editor.read() };
}

function requestUrl(path, controls) {
  const query = new URLSearchParams();
  const pathValues = new Map();
  for (const { parameter, schema, control } of controls) {
    const value = control.value.trim();
    if (value === "") continue;
    if (parameter.in === "path") pathValues.set(parameter.name, value);
    else if ([].concat(schema.type).includes("array")) value.split(",").forEach((part) => query.append(parameter.name, part.trim()));
    else query.append(parameter.name, value);
  }
  const filledPath = path.replace(/\{([^}]+)\}/g, (_, name) => encodeURIComponent(pathValues.get(name) ?? ""));
  const queryText = query.toString();
  return queryText ? `${filledPath}?${queryText}` : filledPath;
}

function currentToken() {
  return sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? "";
}

function buildRequest(entry, controls, editor) {
  const headers = new Headers();
  const token = currentToken();
  if (token) headers.set(TOKEN_HEADER, token);
  const init = { method: entry.method.toUpperCase(), headers };
  const payload = editor?.read();
  if (payload) {
    init.body = payload.body;
    if (payload.contentType) headers.set("Content-Type", payload.contentType);
  }
  return { url: requestUrl(entry.path, controls), init };
}

async function readLimited(response, limit) {
  if (!response.body) return { bytes: new Uint8Array(), truncated: false };
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  while (size <= limit) {
    const { done, value } = await reader.read();
    if (done) return { bytes: joinChunks(chunks, size), truncated: false };
    chunks.push(value);
    size += value.length;
  }
  reader.cancel();
  return { bytes: joinChunks(chunks, size).subarray(0, limit), truncated: true };
}

function joinChunks(chunks, size) {
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

function isTextual(contentType) {
  return !contentType || /json|^text\/|xml|javascript|x-www-form-urlencoded/.test(contentType);
}

function bodyText(contentType, bytes, truncated) {
  const text = new TextDecoder().decode(bytes);
  if (truncated || !/json/.test(contentType)) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function responseBodyView(response, bytes, truncated) {
  const contentType = response.headers.get("Content-Type") ?? "";
  if (!bytes.length) return el("p", { class: "note", text: "Empty body." });
  if (!isTextual(contentType)) {
    const length = response.headers.get("Content-Length") ?? `${bytes.length}${truncated ? "+" : ""}`;
    return el("p", { class: "note", text: `Binary body (${contentType}, ${length} bytes), not shown.` });
  }
  return el("div", {},
    truncated ? el("p", { class: "note", text: "Body truncated: showing the first 100 KB." }) : null,
    el("pre", { class: "response-body", tabindex: 0, "aria-label": "Response body", text: bodyText(contentType, bytes, truncated) }));
}

function responseView(request, response, bytes, truncated, elapsedMs) {
  const headerLines = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
  return [
    el("p", { class: "request-line" }, el("code", { text: `${request.init.method} ${request.url}` })),
    el("p", { class: "response-status" },
      el("span", { class: `status status-${String(response.status)[0]}`, text: `${response.status} ${response.statusText}` }),
      ` in ${Math.round(elapsedMs)} ms`),
    el("details", {}, el("summary", { text: "Response headers" }), el("pre", { text: headerLines })),
    responseBodyView(response, bytes, truncated),
  ];
}

async function sendRequest(entry, controls, editor, output, button) {
  let request;
  try {
    request = buildRequest(entry, controls, editor);
  } catch (error) {
    output.replaceChildren(el("p", { class: "error", role: "alert", text: error.message }));
    return;
  }
  button.disabled = true;
  output.replaceChildren(el("p", { class: "note", text: "Sending…" }));
  const started = performance.now();
  try {
    const response = await fetch(request.url, request.init);
    const { bytes, truncated } = await readLimited(response, BODY_DISPLAY_LIMIT);
    output.replaceChildren(...responseView(request, response, bytes, truncated, performance.now() - started));
  } catch (error) {
    output.replaceChildren(el("p", { class: "error", role: "alert", text: `The request failed: ${error.message}` }));
  } finally {
    button.disabled = false;
  }
}

function tryItForm(entry) {
  const controls = entry.parameters
    .filter((parameter) => parameter.in === "path" || parameter.in === "query")
    .map(parameterControl);
  const editor = entry.operation.requestBody ? bodyEditor(entry.operation.requestBody) : null;
  const output = el("div", { class: "result", "aria-live": "polite" });
  const button = el("button", { type: "submit", class: "send", text: "Send" });
  const form = el("form", { class: "try" },
    controls.map(({ field }) => field),
    editor?.element,
    el("div", { class: "actions" }, button),
    output);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendRequest(entry, controls, editor, output, button);
  });
  return el("section", { class: "try-section" }, el("h3", { text: "Try it" }), form);
}

// ---------- page ----------

function operationAnchor(tag, entry, usedIds) {
  const base = `op-${tag}-${entry.method}-${entry.path}`.replace(/[^A-Za-z0-9_-]+/g, "-");
  let id = base;
  for (let suffix = 2; usedIds.has(id); suffix += 1) id = `${base}-${suffix}`;
  usedIds.add(id);
  return id;
}

function tagSection(tag, entries, usedIds, tocList) {
  const description = spec.tags?.find((known) => known.name === tag)?.description;
  const headingId = uniqueId("tag");
  const section = el("section", { class: "tag-group", "aria-labelledby": headingId },
    el("h2", { id: headingId, text: tag }), textBlock(description));
  const tocLinks = el("ul");
  for (const entry of entries) {
    const id = operationAnchor(tag, entry, usedIds);
    const details = lazyDetails(operationSummary(entry), () => operationDetails(entry),
      { open: MODE === "reference", className: `op op-${entry.method}`, id });
    const tocItem = el("li", {}, el("a", { href: `#${id}` }, methodBadge(entry.method), " ", entry.path));
    const haystack = [entry.method, entry.path, entry.operation.summary, entry.operation.operationId, ...entry.tags]
      .join(" ").toLowerCase();
    filterEntries.push({ haystack, details, tocItem, section });
    section.append(details);
    tocLinks.append(tocItem);
  }
  tocList.append(el("li", {}, el("span", { class: "toc-tag", text: tag }), tocLinks));
  return section;
}

function schemasSection() {
  const schemas = Object.entries(spec.components?.schemas ?? {});
  if (!schemas.length) return null;
  return el("section", { class: "schemas", "aria-labelledby": "schemas-heading" },
    el("h2", { id: "schemas-heading", text: "Schemas" }),
    schemas.map(([name, schema]) => lazyDetails([el("code", { text: name })],
      () => schemaBlock(schema, new Set([schemaRef(name)])),
      { open: MODE === "reference", className: "schema-entry", id: schemaAnchor(name) })));
}

function applyFilter(query) {
  if (!filterEntries.length) return;
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const visibleSections = new Set();
  for (const entry of filterEntries) {
    const matches = words.every((word) => entry.haystack.includes(word));
    entry.details.hidden = !matches;
    entry.tocItem.hidden = !matches;
    if (matches) visibleSections.add(entry.section);
  }
  for (const { section } of filterEntries) section.hidden = !visibleSections.has(section);
  const status = document.getElementById("status");
  status.hidden = visibleSections.size > 0;
  status.textContent = `No endpoint matches “${query}”.`;
}

function openHashTarget() {
  const target = location.hash && document.getElementById(safeDecode(location.hash.slice(1)));
  if (!target) return;
  for (let node = target; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") node.open = true;
  }
  target.scrollIntoView();
}

function renderHeader(info = {}) {
  const title = info.title || "API";
  document.getElementById("api-title").textContent = title;
  document.getElementById("api-version").textContent = info.version ? `v${info.version}` : "";
  document.title = `${title} · ${MODE === "try" ? "Try it" : "Reference"}`;
}

function renderDocument() {
  renderHeader(spec.info);
  const main = document.getElementById("content");
  const status = document.getElementById("status");
  const groups = groupByTag(collectOperations(spec.paths));
  const tocList = el("ul");
  const usedIds = new Set();
  appendChildren(main, [
    textBlock(spec.info?.description, "description api-description"),
    groups.map(([tag, entries]) => tagSection(tag, entries, usedIds, tocList)),
    schemasSection(),
  ]);
  status.hidden = groups.length > 0;
  status.textContent = "The API document lists no endpoints.";
  if (MODE === "reference" && groups.length) {
    const toc = document.getElementById("toc");
    toc.append(tocList);
    toc.hidden = false;
  }
}

function showLoadError(message) {
  const status = document.getElementById("status");
  status.className = "error";
  status.setAttribute("role", "alert");
  status.textContent = `Could not load the API document /openapi.json: ${message}. Reload the page to try again.`;
}

async function loadDocument() {
  const response = await fetch("/openapi.json");
  if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`.trim());
  let apiDocument;
  try {
    apiDocument = await response.json();
  } catch {
    throw new Error("the response is not valid JSON");
  }
  if (!apiDocument || typeof apiDocument !== "object" || Array.isArray(apiDocument)) {
    throw new Error("the response is not a JSON object");
  }
  return apiDocument;
}

function setUpControls() {
  document.body.classList.add(`mode-${MODE}`);
  for (const link of document.querySelectorAll("[data-for-mode]")) {
    if (link.dataset.forMode === MODE) link.setAttribute("aria-current", "page");
  }
  const tokenInput = document.getElementById("token");
  document.getElementById("token-field").hidden = MODE !== "try";
  tokenInput.value = currentToken();
  tokenInput.addEventListener("input", () => {
    const token = tokenInput.value.trim();
    if (token) sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
    else sessionStorage.removeItem(TOKEN_STORAGE_KEY);
  });
  const filter = document.getElementById("filter");
  filter.addEventListener("input", () => applyFilter(filter.value));
  window.addEventListener("hashchange", openHashTarget);
}

async function start() {
  setUpControls();
  try {
    spec = await loadDocument();
  } catch (error) {
    showLoadError(error.message);
    return;
  }
  renderDocument();
  openHashTarget();
}

start();
