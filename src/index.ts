/**
 * swivel's programmatic API: re-exports only (package.json `exports` points here). What is not
 * exported here is internal and may move between releases.
 */
export { SwivelApp, startSwivel, createSource, endpointLifetimeMs } from './app.js';
export type { AppDependencies, StartSummary } from './app.js';
export { loadConfig, requireSource, securityWarnings } from './config/load.js';
export type { RawFlags } from './config/load.js';
export type { SwivelConfig, RotateStrategy, UpstreamProtocol, LogLevel } from './config/types.js';
export { ERRORS, SwivelError, SocksReply, isSwivelError } from './errors.js';
export type { ErrorCode, SocksReplyCode } from './errors.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { createLogger, silentLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { EndpointPool } from './pool/pool.js';
export type { Endpoint } from './pool/endpoint.js';
export { startSimulation, startEchoTarget, startUpstreamProxy, startProviderSim } from './sim/index.js';
export type { Simulation, SimulationOptions, ProviderSim, SimUpstream, EchoTarget } from './sim/index.js';
export { version } from './version.js';
export { parseExtractionBody } from './provider/parse.js';
