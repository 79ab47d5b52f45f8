#!/usr/bin/env node
'use strict';
// posescope vs ONNX Runtime vs TensorFlow Lite, one machine, one run. Called by bench/compare.sh,
// which prepares --work (tool copies with node_modules, onnx/, inputs/). See bench/README.md.
//
//   node bench/compare.js --work DIR --models DIR --inputs DIR --bin build/posescope
//        [--rounds 4] [--runs 40] [--warmup 10] [--heavy-runs 20] [--heavy-warmup 5]
//        [--threads 1,2] [--only a,b] [--retry-noisy 2] [--wait-quiet SECONDS] [--wait-total 600]
//        [--no-posescope] [--out bench/out]
//
// Method: R rounds; in each round, for each model, for each thread count, one fresh process of
// each runtime (posescope, ORT, TFLite; the order rotates by one every round). Each process loads
// the model, does --warmup untimed runs and --runs timed runs, and reports its median. A
// runtime's figure is the lowest process median of the R rounds. Every process is timed against
// the CPU time the rest of the machine used meanwhile (/proc/stat minus this process tree), so
// a figure taken while something else ran is flagged.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync, execFileSync } = require('child_process');

const argv = process.argv.slice(2);
const KNOWN = ['work', 'models', 'inputs', 'bin', 'rounds', 'runs', 'warmup', 'heavy-runs', 'heavy-warmup',
  'threads', 'only', 'wait-quiet', 'wait-total', 'retry-noisy', 'out'];
const A = {};
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  if (k === 'no-posescope') { A[k] = true; continue; }
  if (!KNOWN.includes(k) || i + 1 >= argv.length) { console.error(`compare.js: bad argument ${argv[i]}`); process.exit(2); }
  A[k] = argv[++i];
}
const ROOT = path.resolve(__dirname, '..');
const WORK = path.resolve(A.work || path.join(ROOT, 'build', 'bench-tools'));
const MODELS_DIR = path.resolve(A.models || path.join(os.homedir(), '.cache', 'posescope', 'models'));
const INPUTS = path.resolve(A.inputs || path.join(WORK, 'inputs'));
const BIN = path.resolve(A.bin || path.join(ROOT, 'build', 'posescope'));
const OUT = path.resolve(A.out || path.join(__dirname, 'out'));
const ROUNDS = +(A.rounds || 4);
const RUNS = +(A.runs || 40);
const WARMUP = +(A.warmup || 10);
const HEAVY_RUNS = +(A['heavy-runs'] || 20);
const HEAVY_WARMUP = +(A['heavy-warmup'] || 5);
const THREADS = (A.threads || '1,2').split(',').map(Number);
const WAIT_QUIET = +(A['wait-quiet'] || 0);
const WAIT_TOTAL = +(A['wait-total'] || 600);
const RETRY_NOISY = +(A['retry-noisy'] !== undefined ? A['retry-noisy'] : 2);
// A sample is noisy when other processes (+ steal) used more than NOISE of the machine beyond the
// cores this sample's threads leave free: 10 % at 2 threads on 2 cores, 60 % at 1 thread.
const NOISE = 0.10;
const HEAVY = new Set(['pose_landmark_heavy']);
const ALL = ['pose_detection', 'pose_landmark_lite', 'pose_landmark_full', 'pose_landmark_heavy',
  'palm_detection_lite', 'palm_detection_full', 'hand_landmark_lite', 'hand_landmark_full',
  'selfie_segmentation', 'selfie_segmentation_landscape'];
const MODELS = A.only ? A.only.split(',') : ALL;
for (const m of MODELS) if (!ALL.includes(m)) { console.error(`compare.js: unknown model ${m}`); process.exit(2); }
const ORT_JS = path.join(WORK, 'tflite2onnx', 'bench_ort.js');
const ORACLE_JS = path.join(WORK, 'tflite-oracle', 'oracle.js');
for (const f of [ORT_JS, ORACLE_JS]) if (!fs.existsSync(f)) { console.error(`compare.js: missing ${f} (run bench/compare.sh)`); process.exit(2); }
for (const m of MODELS) {
  // bench_ort.js would silently feed 0.5 everywhere without the input file
  for (const f of [path.join(INPUTS, m, 'input.npy'), path.join(MODELS_DIR, m + '.tflite'), path.join(WORK, 'onnx', m + '.onnx')]) {
    if (!fs.existsSync(f)) { console.error(`compare.js: missing ${f} (run bench/compare.sh)`); process.exit(2); }
  }
}
let RUNTIMES = ['posescope', 'ort', 'tflite'];
if (A['no-posescope']) RUNTIMES = ['ort', 'tflite'];
else if (!fs.existsSync(BIN)) {
  console.error(`compare.js: ${BIN} not found; build posescope first (or pass --no-posescope)`);
  process.exit(2);
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); const n = s.length; return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN; };
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// ---- other processes' CPU use: all-CPU busy ticks minus this process and its waited children
const HZ = (() => { try { return +execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100; } catch (e) { return 100; } })();
const NCPU = os.cpus().length;
function snap() {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6];
  const steal = cpu[7] || 0;   // time the hypervisor gave this VM's CPUs to someone else
  const st = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ').map(Number);
  const self = f[11] + f[12] + f[13] + f[14];   // utime stime cutime cstime
  return { busy, steal, self, t: process.hrtime.bigint() };
}
// Share of the machine's CPUs (0..1) that other processes used (+ hypervisor steal) from a to b.
function otherShare(a, b) {
  const secs = Number(b.t - a.t) / 1e9;
  if (secs <= 0) return 0;
  return Math.max(0, ((b.busy - a.busy) - (b.self - a.self) + (b.steal - a.steal)) / HZ / (secs * NCPU));
}
const stealShare = (a, b) => (b.steal - a.steal) / HZ / Math.max(1e-9, (Number(b.t - a.t) / 1e9) * NCPU);
function waitQuiet(maxS) {
  const t0 = Date.now();
  let share = 1;
  while ((Date.now() - t0) / 1000 < maxS) {
    const a = snap(); sleep(1000); share = otherShare(a, snap());
    if (share < NOISE / 2) break;
  }
  return (Date.now() - t0) / 1000;
}

// ---- the three runtimes: each returns { median_ms, min_ms, ... } or throws
function run(cmd, args) {
  const p = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (p.error) throw p.error;
  if (p.status !== 0) throw new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')}... exit ${p.status}: ${(p.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  return p.stdout;
}

// posescope model bench MODEL.tflite --threads N --runs N --warmup N --json (app/model_cmd.c):
// one line {"model","threads","runs","warmup","median_ms","min_ms","flops","gflop_per_s"}, timed
// around eng_model_run() only. It has no --input: it fills the input with the oracle's gen-input
// image itself, in the registry's range for the model (the formula tests/data/golden/*/input.npy
// was made with, which ORT and TFLite are fed). The JSON is read tolerantly (median_ms / min_ms at
// any depth, or an array of per-run times) so that small format changes do not break it.
function findKey(o, keys, depth = 0) {
  if (!o || typeof o !== 'object' || depth > 3) return undefined;
  for (const k of keys) if (o[k] !== undefined) return o[k];
  for (const v of Object.values(o)) { const r = findKey(v, keys, depth + 1); if (r !== undefined) return r; }
  return undefined;
}
function posescope(m, t, runs, warmup) {
  const out = run(BIN, ['model', 'bench', path.join(MODELS_DIR, m + '.tflite'), '--threads', String(t),
    '--runs', String(runs), '--warmup', String(warmup), '--json']);
  const text = out.trim();
  let j;
  try { j = JSON.parse(text); } catch (e) { j = JSON.parse(text.split('\n').filter((l) => l.startsWith('{')).pop()); }
  const times = findKey(j, ['times_ms', 'times', 'run_ms', 'runs_ms']);
  let med = findKey(j, ['median_ms', 'run_median_ms']);
  let min = findKey(j, ['min_ms', 'run_min_ms']);
  if (med === undefined && Array.isArray(times)) med = median(times);
  if (min === undefined && Array.isArray(times)) min = Math.min(...times);
  if (j && j.error) throw new Error(`posescope: ${j.error}`);
  if (typeof med !== 'number') throw new Error(`posescope --json has no median_ms or times: ${text.slice(0, 200)}`);
  const thr = findKey(j, ['threads', 'num_threads']);
  if (typeof thr === 'number' && thr !== t) throw new Error(`posescope ran ${thr} threads, asked for ${t}`);
  return { median_ms: med, min_ms: min, threads_reported: thr, raw: j };
}

function ort(m, t, runs, warmup) {
  const out = run(process.execPath, [ORT_JS, '--worker', '--model', path.join(WORK, 'onnx', m + '.onnx'),
    '--threads', String(t), '--runs', String(runs), '--warmup', String(warmup), '--profile', '--golden', INPUTS]);
  const r = JSON.parse(out.trim().split('\n').pop());
  const res = { median_ms: median(r.times), min_ms: Math.min(...r.times), create_ms: r.create_ms };
  if (r.profile) {
    const over = r.profile.wall_ms.map((w, i) => w - r.profile.model_run_ms[i]);
    res.model_run_median_ms = median(r.profile.model_run_ms);
    res.profiled_wall_median_ms = median(r.profile.wall_ms);
    res.overheads_ms = over;
  }
  return res;
}

function tflite(m, t, runs, warmup) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'posescope-bench-'));
  try {
    run(process.execPath, [ORACLE_JS, 'run', path.join(MODELS_DIR, m + '.tflite'), '--input', path.join(INPUTS, m, 'input.npy'),
      '--out', dir, '--runs', String(runs), '--warmup', String(warmup), '--threads', String(t)]);
    const man = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    if (!man.timing || !man.timing.representative) throw new Error('oracle timing not representative');
    return { median_ms: man.timing.median_ms, min_ms: man.timing.min_ms, p90_ms: man.timing.p90_ms,
      runtime_desc: man.runtime, threads_reported: man.num_threads, deterministic: man.deterministic_across_invokes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const RUN = { posescope, ort, tflite };

// ---- rounds
const t0 = Date.now();
const start = snap();
const loadStart = os.loadavg();
const samples = [];   // { round, model, threads, runtime, runs, warmup, other_cpu, wall_s, ...result | error }
let waited = 0;
// One model x thread group: one process per runtime, back to back, in the round's order.
function group(r, label, m, t) {
  const runs = HEAVY.has(m) ? HEAVY_RUNS : RUNS;
  const warmup = HEAVY.has(m) ? HEAVY_WARMUP : WARMUP;
  if (WAIT_QUIET > 0 && waited < WAIT_TOTAL) waited += waitQuiet(Math.min(WAIT_QUIET, WAIT_TOTAL - waited));
  const order = RUNTIMES.map((_, i) => RUNTIMES[(i + r) % RUNTIMES.length]);
  for (const rt of order) {
    const a = snap();
    const s = { round: r + 1, model: m, threads: t, runtime: rt, runs, warmup };
    try { Object.assign(s, RUN[rt](m, t, runs, warmup)); } catch (e) { s.error = e.message; }
    const b = snap();
    s.other_cpu = otherShare(a, b);
    s.steal = stealShare(a, b);
    s.wall_s = Number(b.t - a.t) / 1e9;
    samples.push(s);
    process.stderr.write(`${label} ${m} t=${t} ${rt}: ` +
      (s.error ? `ERROR ${s.error}` : `median ${s.median_ms.toFixed(2)} ms`) +
      ` (other CPU ${(100 * s.other_cpu).toFixed(0)}%)\n`);
  }
}
// The sample a runtime's figure comes from (lowest median), and whether it ran in noise.
function bestOf(m, t, rt) {
  const ok = samples.filter((s) => s.model === m && s.threads === t && s.runtime === rt && !s.error);
  return ok.length ? ok.reduce((x, y) => (y.median_ms < x.median_ms ? y : x)) : null;
}
const noiseLimit = (t) => NOISE + Math.max(0, NCPU - t) / NCPU;
const noisyGroup = (m, t) => RUNTIMES.some((rt) => { const b = bestOf(m, t, rt); return b && b.other_cpu > noiseLimit(t); });
for (let r = 0; r < ROUNDS; r++) {
  for (const m of MODELS) for (const t of THREADS) group(r, `round ${r + 1}/${ROUNDS}`, m, t);
}
// Extra rounds, only for the rows whose best sample of some runtime ran in noise; every runtime
// of such a row runs again, so each keeps the same number of samples.
let retried = 0;
for (let k = 0; k < RETRY_NOISY; k++) {
  const todo = [];
  for (const m of MODELS) for (const t of THREADS) if (noisyGroup(m, t)) todo.push([m, t]);
  if (!todo.length) break;
  retried++;
  for (const [m, t] of todo) group(ROUNDS + k, `extra round ${k + 1}/${RETRY_NOISY}`, m, t);
}
const end = snap();
const loadEnd = os.loadavg();

// ---- aggregate: lowest process median per runtime
const rows = [];
for (const m of MODELS) {
  for (const t of THREADS) {
    const row = { model: m, threads: t };
    for (const rt of RUNTIMES) {
      const ss = samples.filter((s) => s.model === m && s.threads === t && s.runtime === rt);
      const ok = ss.filter((s) => !s.error);
      if (!ok.length) { row[rt] = { error: ss.length ? ss[0].error : 'not run' }; continue; }
      const best = ok.reduce((x, y) => (y.median_ms < x.median_ms ? y : x));
      const e = { median_ms: best.median_ms, min_ms: Math.min(...ok.map((s) => s.min_ms).filter((x) => typeof x === 'number')),
        process_medians_ms: ok.map((s) => s.median_ms), other_cpu_best: best.other_cpu,
        other_cpu_max: Math.max(...ok.map((s) => s.other_cpu)), failed_rounds: ss.length - ok.length };
      if (rt === 'ort') {
        const over = ok.flatMap((s) => s.overheads_ms || []);
        e.wall_median_ms = best.median_ms;
        e.binding_overhead_ms = over.length ? median(over) : 0;
        e.native_median_ms = best.median_ms - e.binding_overhead_ms;
        e.model_run_median_ms = Math.min(...ok.map((s) => s.model_run_median_ms));
      }
      row[rt] = e;
    }
    const p = row.posescope && row.posescope.median_ms;
    if (p !== undefined && row.ort && row.ort.native_median_ms) {
      row.ratio_ort_native = p / row.ort.native_median_ms;
      row.ratio_ort_wall = p / row.ort.wall_median_ms;
      row.meets_bar = row.ratio_ort_native <= 1.0;
    }
    if (p !== undefined && row.tflite && row.tflite.median_ms) row.ratio_tflite = p / row.tflite.median_ms;
    row.noisy = RUNTIMES.some((rt) => row[rt] && row[rt].other_cpu_best > noiseLimit(t));
    rows.push(row);
  }
}

const cpu = (os.cpus()[0] || {}).model;
let ortVersion = null;
try { ortVersion = JSON.parse(fs.readFileSync(path.join(WORK, 'tflite2onnx', 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version; } catch (e) { /* absent */ }
const tfliteVariants = [...new Set(samples.filter((s) => s.runtime === 'tflite' && s.runtime_desc).map((s) => `${s.runtime_desc} at ${s.threads}t`))];
const meta = {
  date: new Date().toISOString(), host: os.hostname(), cpu, cores: NCPU, node: process.version,
  posescope_bin: RUNTIMES.includes('posescope') ? BIN : null, models_dir: MODELS_DIR, inputs: INPUTS,
  ort: `onnxruntime-node ${ortVersion} (CPU EP / MLAS, graphOptimizationLevel all, intraOp N, interOp 1, sequential, spinning on)`,
  tflite: tfliteVariants.length ? `${tfliteVariants.join('; ')}; XNNPACK delegate, timed Invoke() only` : 'tflite-oracle',
  rounds: ROUNDS, runs: RUNS, warmup: WARMUP, heavy_runs: HEAVY_RUNS, heavy_warmup: HEAVY_WARMUP, threads: THREADS,
  wait_quiet_s: WAIT_QUIET, wait_total_s: WAIT_TOTAL, waited_s: waited, retry_noisy: RETRY_NOISY, extra_rounds_run: retried, wall_s: (Date.now() - t0) / 1000,
  loadavg_start: loadStart, loadavg_end: loadEnd, other_cpu_whole_run: otherShare(start, end), steal_whole_run: stealShare(start, end), noise_threshold: NOISE,
};

// ---- report
const f2 = (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : '-');
const fx = (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) + 'x' : '-');
const cell = (e, k = 'median_ms') => (!e ? '-' : e.error ? 'error' : f2(e[k]));
const L = [];
L.push(`# posescope vs ONNX Runtime vs TensorFlow Lite`);
L.push('');
L.push(`${meta.date}, ${cpu} x${NCPU}, Node ${meta.node}. ORT: ${meta.ort}. TFLite: ${meta.tflite}.`);
L.push(`${ROUNDS} interleaved rounds${retried ? ` (+ ${retried} extra round(s) for the rows that were noisy)` : ''} x (${WARMUP} warm-up + ${RUNS} timed runs) per process` +
  ` (pose_landmark_heavy: ${HEAVY_WARMUP} + ${HEAVY_RUNS}); ms = lowest process median of the rounds.` +
  ` **The bar compares posescope with ORT native** (ORT wall time minus its Node binding overhead, measured per call with ORT's profiler);` +
  ` ORT wall is the raw \`await session.run()\` time.`);
L.push('');
const hdr = RUNTIMES.includes('posescope')
  ? ['model', 'threads', 'posescope ms', 'ORT native ms', 'ORT wall ms', 'TFLite ms', 'posescope/ORT native', 'posescope/ORT wall', 'posescope/TFLite', '<= 1.0x ORT', 'other CPU %']
  : ['model', 'threads', 'ORT native ms', 'ORT wall ms', 'binding overhead ms', 'TFLite ms', 'TFLite/ORT native', 'other CPU %'];
L.push('| ' + hdr.join(' | ') + ' |');
L.push('|' + hdr.map((_, i) => (i < 2 ? '---' : '---:')).join('|') + '|');
for (const r of rows) {
  const noise = Math.max(...RUNTIMES.map((rt) => (r[rt] && r[rt].other_cpu_best) || 0));
  const nz = `${(100 * noise).toFixed(0)}${r.noisy ? ' (noisy)' : ''}`;
  if (RUNTIMES.includes('posescope')) {
    const bar = r.meets_bar === undefined ? '-' : r.meets_bar ? 'yes' : '**MISS**';
    L.push(`| ${r.model} | ${r.threads} | ${cell(r.posescope)} | ${cell(r.ort, 'native_median_ms')} | ${cell(r.ort, 'wall_median_ms')} | ` +
      `${cell(r.tflite)} | ${fx(r.ratio_ort_native)} | ${fx(r.ratio_ort_wall)} | ${fx(r.ratio_tflite)} | ${bar} | ${nz} |`);
  } else {
    const tr = r.tflite && r.ort && r.tflite.median_ms / r.ort.native_median_ms;
    L.push(`| ${r.model} | ${r.threads} | ${cell(r.ort, 'native_median_ms')} | ${cell(r.ort, 'wall_median_ms')} | ${cell(r.ort, 'binding_overhead_ms')} | ` +
      `${cell(r.tflite)} | ${fx(tr)} | ${nz} |`);
  }
}
L.push('');
if (RUNTIMES.includes('posescope')) {
  const miss = rows.filter((r) => r.meets_bar === false);
  const err = rows.filter((r) => r.meets_bar === undefined);
  L.push(miss.length ? `**Misses the 1.0x ORT (native) bar:** ${miss.map((r) => `${r.model} @ ${r.threads}t (${fx(r.ratio_ort_native)})`).join(', ')}.`
    : err.length ? 'No measured row misses the 1.0x ORT (native) bar.' : '**Every model meets the 1.0x ORT (native) bar at every thread count.**');
  if (err.length) L.push(`Not measured (errors): ${err.map((r) => `${r.model} @ ${r.threads}t`).join(', ')}.`);
  const gm = (k, t) => { const v = rows.filter((r) => r.threads === t && r[k]).map((r) => Math.log(r[k])); return v.length ? Math.exp(v.reduce((a, b) => a + b, 0) / v.length) : NaN; };
  L.push(`Geometric mean posescope/ORT native: ${THREADS.map((t) => `${t}t ${fx(gm('ratio_ort_native', t))}`).join(', ')}; ` +
    `posescope/TFLite: ${THREADS.map((t) => `${t}t ${fx(gm('ratio_tflite', t))}`).join(', ')}.`);
}
const noisy = rows.filter((r) => r.noisy);
L.push(`Noise: load average ${loadStart.map((x) => x.toFixed(2)).join(' ')} at start, ${loadEnd.map((x) => x.toFixed(2)).join(' ')} at end ` +
  `(includes this benchmark); other processes (and hypervisor steal, ${(100 * meta.steal_whole_run).toFixed(1)}%) used ${(100 * meta.other_cpu_whole_run).toFixed(1)}% of the ${NCPU} cores over the run. ` +
  (noisy.length ? `Noisy rows (a best sample ran while other processes used more than ${100 * NOISE}% of the CPU beyond the cores its threads left free): ` +
    noisy.map((r) => `${r.model} @ ${r.threads}t`).join(', ') + '.' : `No best sample ran with other processes using more than ${100 * NOISE}% of the CPU beyond the cores its threads left free.`) +
  ` Wall ${meta.wall_s.toFixed(0)} s` + (WAIT_QUIET ? ` (${waited.toFixed(0)} s of it waiting for a quiet machine).` : '.'));
const failed = samples.filter((s) => s.error);
if (failed.length) L.push(`Failed processes: ${failed.length} (first: ${failed[0].runtime} ${failed[0].model} t=${failed[0].threads}: ${failed[0].error}).`);
L.push('');
L.push('Process medians (ms) per round, for spread:');
L.push('');
for (const r of rows) {
  L.push(`- ${r.model} t=${r.threads}: ` + RUNTIMES.map((rt) => `${rt} ${r[rt] && r[rt].process_medians_ms ? r[rt].process_medians_ms.map(f2).join('/') : '-'}`).join('; ') +
    (r.ort && r.ort.binding_overhead_ms !== undefined ? `; ORT binding overhead ${f2(r.ort.binding_overhead_ms)}` : ''));
}
const md = L.join('\n') + '\n';
fs.mkdirSync(OUT, { recursive: true });
for (const s of samples) { delete s.overheads_ms; if (s.raw) s.posescope_json = s.raw; delete s.raw; }
fs.writeFileSync(path.join(OUT, 'compare.json'), JSON.stringify({ meta, rows, samples }, null, 1) + '\n');
fs.writeFileSync(path.join(OUT, 'compare.md'), md);
process.stdout.write(md);
process.stderr.write(`wrote ${path.join(OUT, 'compare.json')} and ${path.join(OUT, 'compare.md')}\n`);
