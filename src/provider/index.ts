export type { EndpointSource, ExtractQuery, ParsedEndpoint, ParseResult } from './types.js';
export { parseEndpointEntry, parseExtractionBody, parseJsonList, parseTextBody, parseEndpointObject, emptyParseResult } from './parse.js';
export { checkEnvelope, SUCCESS_CODES } from './envelope.js';
export { PROVIDER_PRESETS, resolveApiBase } from './presets.js';
export { ProviderClient, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, type ProviderClientOptions, type QueryParams } from './client.js';
export { FileSource } from './file-source.js';
