/**
 * The /v1 API as functions, one per route (API.md is the contract). Each resolves to the
 * envelope's `data`.
 */

import { request, upload } from "./client.js";

/**
 * @typedef {{entity_id: string, display_name: string, aliases: string[], tags: string[], fields: Record<string, any>,
 *   external_ids: Record<string, string>, primary_thumbnail_asset_id: string | null, plugin_data: Record<string, any>,
 *   created_at: string, updated_at: string}} Entity
 * @typedef {{asset_id: string, kind: string, filename: string, byte_size: number, mime_type: string | null,
 *   storage_provider: string, storage_key: string, meta: {metadata?: any[]}, derived_from_asset_id: string | null,
 *   user_metadata: Record<string, any>, metadata_status: string, created_at: string, updated_at: string,
 *   role?: string | null, linked_at?: string}} Asset  `role` and `linked_at` only in an entity's asset list
 * @typedef {{field_def_id: string, scope: string, field_key: string, field_type: string, required: boolean,
 *   options: any, regex: string | null}} FieldDef
 * @typedef {{descriptor_id: string, entity_id: string, scope: string, field_key: string, value: any}} Descriptor
 * @typedef {{relationship_id: string, src_entity_id: string, dst_entity_id: string, relationship_type: string,
 *   fields: any, created_at: string}} Relationship
 * @typedef {{job_id: string, job_type: string, status: string, progress_percent: number, progress_step: string | null,
 *   input: any, result: any, error: {code: string, message: string} | null, cancel_requested_at: string | null,
 *   created_at: string, started_at: string | null, finished_at: string | null}} Job
 * @typedef {{job_log_id: number, ts: string, level: string, message: string, data: any}} JobLog
 * @typedef {{plugin_id: string, name: string | null, version: string | null, enabled: boolean, discovered: boolean,
 *   config: any, config_schema: any, capabilities: string[], job_types: string[], permissions: string[],
 *   error: string | null, entrypoints?: any}} Plugin
 * @typedef {{event_id: number, ts: string, type: string, subject_type: string, subject_id: string, data: any}} Event
 */
/**
 * @template T
 * @typedef {{items: T[], total?: number, limit?: number, offset?: number, next_cursor?: string | null}} Page
 */
/** @typedef {Record<string, any>} Query */

const at = encodeURIComponent;

export const system = {
  info: () => request("GET", "/v1/system/info"),
};

export const session = {
  /** @param {string} token */
  login: (token) => request("POST", "/ui/login", { body: { token }, reportUnauthorized: false }),
  logout: () => request("POST", "/ui/logout", { reportUnauthorized: false }),
};

export const entities = {
  /** @param {Query} query @returns {Promise<Page<Entity>>} */
  list: (query) => request("GET", "/v1/entities", { query }),
  /** @returns {Promise<Entity>} */
  get: (id) => request("GET", `/v1/entities/${at(id)}`),
  /** @param {Partial<Entity>} body @returns {Promise<Entity>} */
  create: (body) => request("POST", "/v1/entities", { body }),
  /** @param {Partial<Entity>} body @returns {Promise<Entity>} */
  update: (id, body) => request("PATCH", `/v1/entities/${at(id)}`, { body }),
  remove: (id) => request("DELETE", `/v1/entities/${at(id)}`),
  /** @param {Query} query @returns {Promise<Page<Asset>>} */
  assets: (id, query) => request("GET", `/v1/entities/${at(id)}/assets`, { query }),
  /** @param {string} assetId @param {string} role */
  link: (id, assetId, role) => request("POST", `/v1/entities/${at(id)}/assets/${at(assetId)}`, { body: role ? { role } : {} }),
  /** @param {string} assetId */
  unlink: (id, assetId) => request("DELETE", `/v1/entities/${at(id)}/assets/${at(assetId)}`),
};

export const descriptors = {
  /** @returns {Promise<{items: Descriptor[]}>} */
  list: (entityId) => request("GET", `/v1/entities/${at(entityId)}/descriptors`),
  /** @param {{scope: string, field_key: string, value: any}} body */
  create: (entityId, body) => request("POST", `/v1/entities/${at(entityId)}/descriptors`, { body }),
  /** @param {any} value */
  update: (id, value) => request("PATCH", `/v1/descriptors/${at(id)}`, { body: { value } }),
  remove: (id) => request("DELETE", `/v1/descriptors/${at(id)}`),
};

export const fieldDefs = {
  /** @param {string | undefined} scope @returns {Promise<{items: FieldDef[]}>} */
  list: (scope) => request("GET", "/v1/admin/field-defs", { query: { scope } }),
  /** @param {Partial<FieldDef>} body */
  create: (body) => request("POST", "/v1/admin/field-defs", { body }),
  /** @param {Partial<FieldDef>} body */
  update: (id, body) => request("PATCH", `/v1/admin/field-defs/${at(id)}`, { body }),
  remove: (id) => request("DELETE", `/v1/admin/field-defs/${at(id)}`),
};

export const relationships = {
  /** @returns {Promise<{items: Relationship[]}>} */
  list: (entityId) => request("GET", "/v1/relationships", { query: { entity_id: entityId } }),
  /** @param {{src_entity_id: string, dst_entity_id: string, relationship_type: string}} body */
  create: (body) => request("POST", "/v1/relationships", { body }),
  remove: (id) => request("DELETE", `/v1/relationships/${at(id)}`),
  /** @param {string} query @returns {Promise<{items: string[]}>} */
  types: (query) => request("GET", "/v1/relation-types", { query: { query, limit: 20 } }),
};

export const assets = {
  /** @param {Query} query @returns {Promise<Page<Asset>>} */
  list: (query) => request("GET", "/v1/assets", { query }),
  /** @returns {Promise<Asset>} */
  get: (id) => request("GET", `/v1/assets/${at(id)}`),
  /** @param {Partial<Asset>} body */
  update: (id, body) => request("PATCH", `/v1/assets/${at(id)}`, { body }),
  remove: (id) => request("DELETE", `/v1/assets/${at(id)}`),
  /** @returns {Promise<{items: Asset[]}>} */
  derived: (id) => request("GET", `/v1/assets/${at(id)}/derived`),
  /** @param {number} expiresIn seconds @returns {Promise<{url: string, expires_at: string}>} */
  signedUrl: (id, expiresIn) => request("POST", `/v1/assets/${at(id)}/download-url`, { body: { expires_in: expiresIn } }),
  downloadUrl: (id) => `/v1/assets/${at(id)}/download`,
  /** @param {File} file @param {Query} query @param {(progress: import("./client.js").UploadProgress) => void} onProgress */
  upload: (file, query, onProgress) => upload("/v1/assets/upload", query, file, onProgress),
  /** @param {Record<string, any>} body @returns {Promise<{job_id: string}>} */
  bulkImport: (body) => request("POST", "/v1/assets/bulk-import", { body }),
};

export const jobs = {
  /** @param {Query} query @returns {Promise<Page<Job>>} */
  list: (query) => request("GET", "/v1/jobs", { query }),
  /** @returns {Promise<Job>} */
  get: (id) => request("GET", `/v1/jobs/${at(id)}`),
  /** @param {{job_type: string, input: any}} body @returns {Promise<Job>} */
  create: (body) => request("POST", "/v1/jobs", { body }),
  /** @param {number | null} afterId @returns {Promise<{items: JobLog[], next_after_id: number | null}>} */
  log: (id, afterId) => request("GET", `/v1/jobs/${at(id)}/log`, { query: { after_id: afterId, limit: 200 } }),
  cancel: (id) => request("POST", `/v1/jobs/${at(id)}/cancel`),
  /** @returns {Promise<Job>} */
  retry: (id) => request("POST", `/v1/jobs/${at(id)}/retry`),
};

export const events = {
  /** @param {Query} query @returns {Promise<{items: Event[], next_after_id: number | null}>} */
  list: (query) => request("GET", "/v1/events", { query }),
};

export const plugins = {
  /** @returns {Promise<{items: Plugin[]}>} */
  list: () => request("GET", "/v1/plugins"),
  /** @returns {Promise<Plugin>} */
  enable: (id) => request("POST", `/v1/plugins/${at(id)}/enable`),
  /** @returns {Promise<Plugin>} */
  disable: (id) => request("POST", `/v1/plugins/${at(id)}/disable`),
  /** @param {any} config */
  saveConfig: (id, config) => request("PUT", `/v1/plugins/${at(id)}/config`, { body: { config } }),
};
