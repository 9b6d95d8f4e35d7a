/**
 * The /v1 API, one function per route (API.md is the contract; uploads are in upload.js); each resolves to the
 * envelope's `data`, shaped as the typedefs below say.
 */

import { request } from "./client.js";

/**
 * @typedef {{entity_id: string, display_name: string, aliases: string[], tags: string[], fields: Record<string, any>,
 *   external_ids: Record<string, string>, primary_thumbnail_asset_id: string | null, plugin_data: Record<string, any>,
 *   created_at: string, updated_at: string}} Entity
 * @typedef {{asset_id: string, kind: string, filename: string, byte_size: number, mime_type: string | null,
 *   storage_provider: string, storage_key: string, meta: {metadata?: any[]}, derived_from_asset_id: string | null,
 *   user_metadata: Record<string, any>, metadata_status: string, thumbnail_status?: string,
 *   media?: {width: number | null, height: number | null, duration_seconds: number | null} | null, created_at: string,
 *   updated_at: string, role?: string | null, linked_at?: string}} Asset  (`role`, `linked_at`: in an entity's asset list)
 * @typedef {{field_def_id: string, scope: string, field_key: string, field_type: string, required: boolean,
 *   options: any, regex: string | null}} FieldDef
 * @typedef {{descriptor_id: string, scope: string, field_key: string, value: any}} Descriptor
 * @typedef {{relationship_id: string, src_entity_id: string, dst_entity_id: string, relationship_type: string,
 *   created_at: string}} Relationship
 * @typedef {{job_id: string, job_type: string, status: string, progress_percent: number, progress_step: string | null,
 *   input: any, result: any, error: {code: string, message: string} | null, cancel_requested_at: string | null,
 *   created_at: string, started_at: string | null, finished_at: string | null}} Job
 * @typedef {{job_log_id: number, ts: string, level: string, message: string, data: any}} JobLog
 * @typedef {{plugin_id: string, name: string | null, version: string | null, enabled: boolean, discovered: boolean,
 *   config: any, config_schema: any, capabilities: string[], job_types: string[], permissions: string[],
 *   error: string | null, entrypoints: any}} Plugin
 * @typedef {{event_id: number, ts: string, type: string, subject_type: string, subject_id: string, data: any}} Event
 * @typedef {Record<string, any>} Query
 */
/** @template T @typedef {{items: T[], total?: number, offset?: number, next_cursor?: string | null}} Page */

const at = encodeURIComponent;

export const system = {
	info: () => request("GET", "/v1/system/info"),
};

export const session = {
	login: (token) => request("POST", "/ui/login", { body: { token }, report401: false }),
	logout: () => request("POST", "/ui/logout", { report401: false }),
};

export const entities = {
	/** @returns {Promise<Page<Entity>>} */
	list: (query) => request("GET", "/v1/entities", { query }),
	/** @returns {Promise<Entity>} */
	get: (id) => request("GET", `/v1/entities/${at(id)}`),
	create: (body) => request("POST", "/v1/entities", { body }),
	bulkUpsert: (body) => request("POST", "/v1/entities/bulk-upsert", { body }),
	update: (id, body) => request("PATCH", `/v1/entities/${at(id)}`, { body }),
	remove: (id) => request("DELETE", `/v1/entities/${at(id)}`),
	/** @returns {Promise<Page<Asset>>} */
	assets: (id, query) => request("GET", `/v1/entities/${at(id)}/assets`, { query }),
	link: (id, assetId, role) => request("POST", `/v1/entities/${at(id)}/assets/${at(assetId)}`, { body: role ? { role } : {} }),
	unlink: (id, assetId) => request("DELETE", `/v1/entities/${at(id)}/assets/${at(assetId)}`),
};

export const descriptors = {
	list: (entityId) => request("GET", `/v1/entities/${at(entityId)}/descriptors`),
	create: (entityId, /** @type {{scope: string, field_key: string, value: any}} */ body) => request("POST", `/v1/entities/${at(entityId)}/descriptors`, { body }),
	update: (id, value) => request("PATCH", `/v1/descriptors/${at(id)}`, { body: { value } }),
	remove: (id) => request("DELETE", `/v1/descriptors/${at(id)}`),
};

export const fieldDefs = {
	list: (scope) => request("GET", "/v1/admin/field-defs", { query: { scope } }),
	create: (body) => request("POST", "/v1/admin/field-defs", { body }),
	update: (id, body) => request("PATCH", `/v1/admin/field-defs/${at(id)}`, { body }),
	remove: (id) => request("DELETE", `/v1/admin/field-defs/${at(id)}`),
};

export const relationships = {
	list: (entityId) => request("GET", "/v1/relationships", { query: { entity_id: entityId } }),
	create: (body) => request("POST", "/v1/relationships", { body }),
	remove: (id) => request("DELETE", `/v1/relationships/${at(id)}`),
	types: (query) => request("GET", "/v1/relation-types", { query: { query, limit: 20 } }),
};

export const assets = {
	/** @returns {Promise<Page<Asset>>} */
	list: (query) => request("GET", "/v1/assets", { query }),
	/** @returns {Promise<Asset>} */
	get: (id) => request("GET", `/v1/assets/${at(id)}`),
	update: (id, body) => request("PATCH", `/v1/assets/${at(id)}`, { body }),
	remove: (id) => request("DELETE", `/v1/assets/${at(id)}`),
	derived: (id) => request("GET", `/v1/assets/${at(id)}/derived`),
	signedUrl: (id, seconds) => request("POST", `/v1/assets/${at(id)}/download-url`, { body: { expires_in: seconds } }),
	downloadUrl: (id) => `/v1/assets/${at(id)}/download`,
	/** @param {string} id @param {256 | 1024} size */
	thumbnailUrl: (id, size) => `/v1/assets/${at(id)}/thumbnail?size=${size}`,
	/** @returns {Promise<{items: {entity_id: string, display_name: string, role: string | null, linked_at: string}[]}>} */
	entities: (id) => request("GET", `/v1/assets/${at(id)}/entities`),
	bulkImport: (body) => request("POST", "/v1/assets/bulk-import", { body }),
};

/** Unfinished tus uploads (the bytes go through upload.js). */
export const uploads = {
	/** @returns {Promise<{items: {upload_id: string, filename: string, upload_length: number, upload_offset: number}[]}>} */
	list: () => request("GET", "/v1/uploads"),
};

export const jobs = {
	/** @returns {Promise<Page<Job>>} */
	list: (query) => request("GET", "/v1/jobs", { query }),
	/** @returns {Promise<Job>} */
	get: (id) => request("GET", `/v1/jobs/${at(id)}`),
	create: (/** @type {{job_type: string, input: any}} */ body) => request("POST", "/v1/jobs", { body }),
	/** `wait`: seconds the server may hold the reply until a line after `afterId` is written (0..30). */
	log: (id, afterId, wait = 0) => request("GET", `/v1/jobs/${at(id)}/log`, { query: { after_id: afterId, limit: 200, wait } }),
	cancel: (id) => request("POST", `/v1/jobs/${at(id)}/cancel`),
	retry: (id) => request("POST", `/v1/jobs/${at(id)}/retry`),
};

export const admin = {
	purge: (olderThanDays) => request("POST", "/v1/admin/purge", { body: { older_than_days: olderThanDays } }),
	/** @returns {Promise<{items: {name: string, path: string, created_at: string, byte_size: number, counts: Record<string, number>}[]}>} */
	backups: () => request("GET", "/v1/admin/backups"),
	backUp: () => request("POST", "/v1/admin/backups", { body: {} }),
	verifyBackup: (name) => request("POST", `/v1/admin/backups/${at(name)}/verify`),
	/** @param {{destination: string, entity_ids: string[] | null}} body */
	exportTo: (body) => request("POST", "/v1/admin/exports", { body }),
	/** @returns {Promise<Job>} */
	rebuildThumbnails: (onlyMissing) => request("POST", "/v1/admin/thumbnails/rebuild", { body: { only_missing: onlyMissing } }),
	/** @returns {Promise<{items: {token_id: string, name: string, scopes: string[], created_at: string, expires_at: string | null, last_used_at: string | null}[]}>} */
	tokens: () => request("GET", "/v1/admin/tokens"),
	/** @param {{name: string, scopes: string[]}} body  the answer's `token` is the secret, shown this once */
	createToken: (body) => request("POST", "/v1/admin/tokens", { body }),
	deleteToken: (tokenId) => request("DELETE", `/v1/admin/tokens/${at(tokenId)}`),
};

export const events = {
	list: (query) => request("GET", "/v1/events", { query }),
};

export const plugins = {
	/** @returns {Promise<{items: Plugin[]}>} */
	list: () => request("GET", "/v1/plugins"),
	enable: (id) => request("POST", `/v1/plugins/${at(id)}/enable`),
	disable: (id) => request("POST", `/v1/plugins/${at(id)}/disable`),
	saveConfig: (id, config) => request("PUT", `/v1/plugins/${at(id)}/config`, { body: { config } }),
	restart: (id) => request("POST", `/v1/plugins/${at(id)}/restart`),
	/** @returns {Promise<{plugin_id: string, lines: string[]}>} */
	runnerLog: (id, lines = 200) => request("GET", `/v1/plugins/${at(id)}/runner/log`, { query: { lines } }),
};
