// `npm run bench:compare`: swivel side by side with one upstream alone, a naive proxy-chain
// rotator, Squid and HAProxy. See bench/README.md ("Side by side") and bench/compare/run.mjs.
import { main } from './compare/run.mjs';

await main();
