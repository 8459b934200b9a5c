// Starts the simulator in its own process for benches; prints one JSON line with its addresses,
// then runs until stdin closes or SIGTERM. Loopback only.
const { startSimulation } = await import('swivel');
const sim = await startSimulation({ upstreams: Number(process.env.BENCH_UPSTREAMS ?? 8) });
process.stdout.write(
  `${JSON.stringify({ apiBase: sim.apiBase, appKey: sim.appKey, target: sim.target.url, upstream: sim.upstreams[0].id })}\n`,
);
const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
