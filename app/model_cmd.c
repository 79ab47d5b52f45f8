/*
 * model_cmd: see model_cmd.h.
 */
#include "model_cmd.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "npy.h"
#include "registry.h"
#include "runtime.h"

#define MAX_THREADS 256

/* A MODEL argument resolved to a file, with its registry entry when the
 * argument (or the file's base name) names one. */
typedef struct model_ref {
    char path[PATH_MAX];
    const mdl_model *reg; /* NULL for a file the registry does not know */
} model_ref;

/* Registry entry whose name is the file name without ".tflite". */
static const mdl_model *registry_by_file(const char *path)
{
    char name[128];
    const char *base = app_basename(path);
    size_t len = strlen(base);
    if (len < 7 || len - 7 >= sizeof(name) ||
        strcmp(base + len - 7, ".tflite") != 0)
        return NULL;
    memcpy(name, base, len - 7);
    name[len - 7] = '\0';
    return mdl_find(name);
}

static app_status resolve_model(const char *arg, model_ref *ref,
                                eng_error *err)
{
    struct stat st;
    ref->reg = mdl_find(arg);
    if (ref->reg) {
        if (mdl_cache_path(ref->reg, ref->path, sizeof(ref->path), err))
            return APP_FAILED;
        if (stat(ref->path, &st) == 0)
            return APP_OK;
        eng_fail(err, ENG_EIO, "%s: not in the model cache (%s); "
                 "`posescope models fetch` gets it", arg, ref->path);
        return APP_BAD_INPUT;
    }
    if (stat(arg, &st) != 0) {
        eng_fail(err, ENG_EIO, "%s: no such file, and not a model name "
                 "(`posescope models list` shows them)", arg);
        return APP_BAD_INPUT;
    }
    if (app_path(ref->path, err, "%s", arg) != ENG_OK)
        return APP_BAD_INPUT;
    ref->reg = registry_by_file(arg);
    return APP_OK;
}

static const char *model_name(const model_ref *ref)
{
    return ref->reg ? ref->reg->name : app_basename(ref->path);
}

/* `fast` selects ENG_NUMERICS_FAST (see engine/runtime.h); the default,
 * EXACT, gives TFLite's bits on the models TFLite ran on XNNPACK. */
static app_status open_runtime(int threads, bool fast, eng_runtime **rt,
                               eng_error *err)
{
    eng_runtime_desc desc = {
        .threads = threads,
        .numerics = fast ? ENG_NUMERICS_FAST : ENG_NUMERICS_EXACT,
    };
    eng_error e = { .msg = "" };
    eng_status st = eng_runtime_create(&desc, rt, &e);
    if (st == ENG_OK)
        return APP_OK;
    eng_fail(err, st, "runtime: %s: %s", eng_status_name(st), e.msg);
    return APP_FAILED;
}

/* Loads the model; a file the engine rejects is the user's input (2),
 * running out of memory or a refusing backend is a failure (1). */
static app_status load_model(eng_runtime *rt, const model_ref *ref,
                             eng_model **m, eng_error *err)
{
    eng_error e = { .msg = "" };
    eng_status st = eng_model_load(rt, ref->path, m, &e);
    if (st == ENG_OK)
        return APP_OK;
    eng_fail(err, st, "%s: %s: %s", app_basename(ref->path),
             eng_status_name(st), e.msg);
    return st == ENG_ENOMEM || st == ENG_EBACKEND ? APP_FAILED
                                                  : APP_BAD_INPUT;
}

static app_status run_model(eng_model *m, const model_ref *ref,
                            eng_error *err)
{
    eng_error e = { .msg = "" };
    eng_status st = eng_model_run(m, &e);
    if (st == ENG_OK)
        return APP_OK;
    eng_fail(err, st, "%s: %s: %s", app_basename(ref->path),
             eng_status_name(st), e.msg);
    return APP_FAILED;
}

static int64_t model_flops(const eng_model *m)
{
    const eng_graph *g = eng_model_graph(m);
    int64_t total = 0;
    for (int i = 0; i < g->n_nodes; i++)
        total += eng_node_flops(g, &g->nodes[i]);
    return total;
}

/* ------------------------------------------------------------------ info */

static void print_tensor(int index, const eng_tensor *t, const char *note)
{
    char shape[64];
    app_format_shape(shape, sizeof(shape), t->ndim, t->dims);
    printf("  %d  %-16s %-18s %s\n", index, t->name, shape, note);
}

static void print_io(const eng_model *m, const mdl_model *reg)
{
    printf("inputs:\n");
    for (int i = 0; i < eng_model_num_inputs(m); i++) {
        char range[64] = "";
        if (reg && i == 0)
            snprintf(range, sizeof(range), "range [%g,%g]", reg->input_lo,
                     reg->input_hi);
        print_tensor(i, eng_model_input(m, i), range);
    }
    printf("outputs:\n");
    for (int i = 0; i < eng_model_num_outputs(m); i++) {
        const eng_tensor *t = eng_model_output(m, i);
        const char *meaning = "";
        if (reg && i < reg->n_outputs && !strcmp(reg->outputs[i].name, t->name))
            meaning = reg->outputs[i].meaning;
        print_tensor(i, t, meaning);
    }
}

static void print_census(const eng_model *m)
{
    const eng_graph *g = eng_model_graph(m);
    int total = 0;
    printf("source ops (in the file, before lowering):\n");
    for (int i = 0; i < g->n_source_ops; i++) {
        printf("  %-28s %5d\n", g->source_ops[i].name,
               g->source_ops[i].count);
        total += g->source_ops[i].count;
    }
    printf("  %-28s %5d\n", "total", total);

    eng_profile p;
    eng_model_get_profile(m, &p);
    int nodes = 0;
    int64_t flops = 0;
    printf("engine ops (lowered and fused, as run):\n");
    printf("  %-22s %-10s %5s %10s\n", "op", "backend", "nodes", "MFLOP");
    for (int i = 0; i < p.n_entries; i++) {
        const eng_profile_entry *e = &p.entries[i];
        printf("  %-22s %-10s %5d %10.1f\n", eng_op_name(e->op), e->backend,
               e->nodes, (double)e->flops * 1e-6);
        nodes += e->nodes;
        flops += e->flops;
    }
    printf("  %-22s %-10s %5d %10.1f\n", "total", "", nodes,
           (double)flops * 1e-6);
}

static void print_info(const model_ref *ref, const eng_model *m)
{
    const eng_graph *g = eng_model_graph(m);
    char hex[MDL_SHA256_HEX] = "";
    size_t size = 0;
    printf("file         %s\n", ref->path);
    if (mdl_sha256_file(ref->path, hex, &size, NULL) == ENG_OK)
        printf("size         %zu bytes, SHA-256 %s\n", size, hex);
    if (ref->reg)
        printf("registry     %s: %s (%s)\n", ref->reg->name, ref->reg->role,
               !strcmp(hex, ref->reg->sha256) ? "SHA-256 matches"
                                              : "SHA-256 DIFFERS");
    if (g->description[0])
        printf("description  %s\n", g->description);
    print_io(m, ref->reg);
    print_census(m);
    int64_t params = eng_graph_params(g);
    size_t arena = eng_model_arena_bytes(m);
    printf("parameters   %lld (%.2f M)\n", (long long)params,
           (double)params * 1e-6);
    printf("FLOPs        %.1f M per run\n", (double)model_flops(m) * 1e-6);
    printf("arena        %zu bytes (%.1f MiB) of activations\n", arena,
           (double)arena / (1024.0 * 1024.0));
}

static app_status model_info(int argc, char **argv, eng_error *err)
{
    char *pos[1];
    int n_pos;
    app_status as = app_parse_options(argc, argv, NULL, 0, pos, 1, &n_pos,
                                      err);
    if (as != APP_OK)
        return as;
    if (n_pos != 1) {
        eng_fail(err, ENG_EINVAL, "model info needs MODEL");
        return APP_USAGE;
    }
    model_ref ref;
    eng_runtime *rt = NULL;
    eng_model *m = NULL;
    as = resolve_model(pos[0], &ref, err);
    if (as == APP_OK)
        as = open_runtime(1, false, &rt, err);
    if (as == APP_OK)
        as = load_model(rt, &ref, &m, err);
    if (as == APP_OK)
        print_info(&ref, m);
    eng_model_destroy(m);
    eng_runtime_destroy(rt);
    return as;
}

/* ------------------------------------------------------------------- run */

/* Splits "FILE:1,256,256,3" into file and shape; *ndim = 0 when spec has
 * no shape suffix. */
static app_status parse_input_spec(const char *spec, char *file, int *ndim,
                                   int dims[ENG_NPY_MAX_DIMS], eng_error *err)
{
    const char *colon = strrchr(spec, ':');
    *ndim = 0;
    if (!colon || !colon[1] ||
        strspn(colon + 1, "0123456789,") != strlen(colon + 1))
        return app_path(file, err, "%s", spec) ? APP_BAD_INPUT : APP_OK;
    if (app_path(file, err, "%.*s", (int)(colon - spec), spec))
        return APP_BAD_INPUT;
    for (const char *p = colon + 1; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > INT_MAX || *ndim == ENG_NPY_MAX_DIMS ||
            (*end && !end[1])) {
            eng_fail(err, ENG_EINVAL, "--input %s: bad shape '%s' (want "
                     "up to %d dimensions >= 1, e.g. 1,256,256,3)", spec,
                     colon + 1, ENG_NPY_MAX_DIMS);
            return APP_BAD_INPUT;
        }
        dims[(*ndim)++] = (int)v;
        p = *end ? end + 1 : end;
    }
    return APP_OK;
}

static bool same_shape(int na, const int *a, int nb, const int *b)
{
    /* Leading 1s do not change the layout: [256,256,3] is [1,256,256,3]. */
    while (na > nb && *a == 1) {
        a++;
        na--;
    }
    while (nb > na && *b == 1) {
        b++;
        nb--;
    }
    return na == nb && !memcmp(a, b, sizeof(int) * (size_t)na);
}

static app_status read_input(const char *spec, eng_npy *arr, eng_error *err)
{
    char file[PATH_MAX];
    int ndim, dims[ENG_NPY_MAX_DIMS];
    app_status as = parse_input_spec(spec, file, &ndim, dims, err);
    if (as != APP_OK)
        return as;
    size_t len = strlen(file);
    bool npy = len >= 4 && !strcmp(file + len - 4, ".npy");
    if (!npy && !ndim) {
        eng_fail(err, ENG_EINVAL, "raw input %s needs a shape, e.g. "
                 "%s:1,256,256,3", file, file);
        return APP_BAD_INPUT;
    }
    eng_error e = { .msg = "" };
    eng_status st = npy ? eng_npy_read(file, arr, &e)
                        : eng_npy_read_raw(file, ndim, dims, arr, &e);
    if (st != ENG_OK) {
        eng_fail(err, st, "%s", e.msg);
        return st == ENG_ENOMEM ? APP_FAILED : APP_BAD_INPUT;
    }
    if (npy && ndim && !same_shape(arr->ndim, arr->dims, ndim, dims)) {
        char have[96];
        app_format_shape(have, sizeof(have), arr->ndim, arr->dims);
        eng_fail(err, ENG_EINVAL, "%s: the file's shape is %s, not %s",
                 file, have, spec + len + 1);
        free(arr->data);
        return APP_BAD_INPUT;
    }
    return APP_OK;
}

static app_status check_input(const eng_npy *arr, const eng_tensor *t,
                              const char *spec, eng_error *err)
{
    if (arr->count == t->count &&
        same_shape(arr->ndim, arr->dims, t->ndim, t->dims))
        return APP_OK;
    char have[96], want[64];
    app_format_shape(have, sizeof(have), arr->ndim, arr->dims);
    app_format_shape(want, sizeof(want), t->ndim, t->dims);
    eng_fail(err, ENG_EINVAL, "--input %s: shape %s (%zu floats), but "
             "model input '%s' is %s (%zu floats)", spec, have, arr->count,
             t->name, want, t->count);
    return APP_BAD_INPUT;
}

/* The oracle's file-name rule: each run of other characters becomes one
 * '_'; at most 120 characters. */
static void safe_name(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    bool in_run = false;
    for (const char *p = name; *p && n + 1 < cap && n < 120; p++) {
        bool ok = isalnum((unsigned char)*p) || strchr("_.-", *p);
        if (ok || !in_run)
            out[n++] = ok ? *p : '_';
        in_run = !ok;
    }
    out[n] = '\0';
}

static void print_output_stats(const char *file, const eng_tensor *t,
                               const float *data)
{
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (size_t i = 0; i < t->count; i++) {
        lo = data[i] < lo ? data[i] : lo;
        hi = data[i] > hi ? data[i] : hi;
        sum += data[i];
    }
    char shape[64];
    app_format_shape(shape, sizeof(shape), t->ndim, t->dims);
    printf("%-28s %-18s min %-12.6g max %-12.6g mean %.6g\n", file, shape,
           lo, hi, t->count ? sum / (double)t->count : 0.0);
}

static app_status write_outputs(const eng_model *m, const char *dir,
                                eng_error *err)
{
    eng_error e = { .msg = "" };
    if (app_mkdir_p(dir, &e) != ENG_OK) {
        eng_fail(err, e.status, "%s", e.msg);
        return APP_FAILED;
    }
    for (int i = 0; i < eng_model_num_outputs(m); i++) {
        const eng_tensor *t = eng_model_output(m, i);
        const float *data = eng_model_output_data(m, i);
        char name[128], path[PATH_MAX];
        safe_name(t->name, name, sizeof(name));
        if (app_path(path, err, "%s/%d_%s.npy", dir, i, name) != ENG_OK)
            return APP_FAILED;
        if (eng_npy_write(path, t->ndim, t->dims, data, &e) != ENG_OK) {
            eng_fail(err, e.status, "%s", e.msg);
            return APP_FAILED;
        }
        print_output_stats(app_basename(path), t, data);
    }
    return APP_OK;
}

/* Feeds arr to the loaded model, runs it and writes the outputs. */
static app_status run_and_write(eng_model *m, const model_ref *ref,
                                const eng_npy *arr, const char *spec,
                                const char *out, eng_error *err)
{
    if (eng_model_num_inputs(m) != 1) {
        eng_fail(err, ENG_EINVAL, "%s has %d inputs; `model run` feeds "
                 "one", app_basename(ref->path), eng_model_num_inputs(m));
        return APP_BAD_INPUT;
    }
    app_status as = check_input(arr, eng_model_input(m, 0), spec, err);
    if (as != APP_OK)
        return as;
    memcpy(eng_model_input_data(m, 0), arr->data,
           arr->count * sizeof(float));
    as = run_model(m, ref, err);
    if (as == APP_OK)
        as = write_outputs(m, out, err);
    return as;
}

static app_status model_run(int argc, char **argv, eng_error *err)
{
    const char *input = NULL, *out = NULL;
    int threads = 0, fast = 0;
    const app_option opts[] = {
        { "--input", APP_OPT_STRING, &input, 0, 0 },
        { "--out", APP_OPT_STRING, &out, 0, 0 },
        { "--threads", APP_OPT_INT, &threads, 0, MAX_THREADS },
        { "--fast-math", APP_OPT_FLAG, &fast, 0, 0 },
    };
    char *pos[1];
    int n_pos;
    app_status as = app_parse_options(argc, argv, opts, 4, pos, 1, &n_pos,
                                      err);
    if (as != APP_OK)
        return as;
    if (n_pos != 1 || !input || !out) {
        eng_fail(err, ENG_EINVAL, "model run needs MODEL, --input FILE "
                 "and --out DIR");
        return APP_USAGE;
    }
    model_ref ref;
    eng_npy arr = { .data = NULL };
    eng_runtime *rt = NULL;
    eng_model *m = NULL;
    as = resolve_model(pos[0], &ref, err);
    if (as == APP_OK)
        as = read_input(input, &arr, err);
    if (as == APP_OK)
        as = open_runtime(threads, fast, &rt, err);
    if (as == APP_OK)
        as = load_model(rt, &ref, &m, err);
    if (as == APP_OK)
        as = run_and_write(m, &ref, &arr, input, out, err);
    eng_model_destroy(m);
    eng_runtime_destroy(rt);
    free(arr.data);
    return as;
}

/* ----------------------------------------------------------------- bench */

typedef struct bench_opts {
    int threads, runs, warmup, json, profile, fast;
} bench_opts;

typedef struct bench_result {
    double median_ms, min_ms;
    int64_t flops;
} bench_result;

/* The oracle's gen-input image (see tflite-oracle/README.md): smooth RGB,
 * computed in double and rounded once, mapped to [lo, hi]. A tensor that
 * is not NHWC is filled as one row. */
static void fill_input(float *x, const eng_tensor *t, double lo, double hi)
{
    int n = 1, h = 1, w = (int)t->count, c = 1;
    if (t->ndim == 4) {
        n = t->dims[0];
        h = t->dims[1];
        w = t->dims[2];
        c = t->dims[3];
    }
    size_t k = 0;
    for (int b = 0; b < n; b++) {
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                double u = w > 1 ? (double)xx / (w - 1) : 0.0;
                double v = h > 1 ? (double)y / (h - 1) : 0.0;
                double px[3] = {
                    0.15 + 0.7 * u, 0.15 + 0.7 * v,
                    0.5 + 0.35 * sin(2 * M_PI * (u + v)) *
                              cos(M_PI * (u - v)),
                };
                for (int ch = 0; ch < c; ch++) {
                    double val = ch < 3 ? px[ch] : (u + v) / 2;
                    x[k++] = (float)(lo + (hi - lo) * val);
                }
            }
        }
    }
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Warm-up, then `runs` timed runs; profiling (if asked) covers only the
 * timed runs. */
static app_status time_runs(eng_model *m, const model_ref *ref,
                            const bench_opts *o, bench_result *r,
                            eng_error *err)
{
    double *ms = malloc(sizeof(double) * (size_t)o->runs);
    if (!ms) {
        eng_fail(err, ENG_ENOMEM, "out of memory");
        return APP_FAILED;
    }
    app_status as = APP_OK;
    for (int i = 0; i < o->warmup && as == APP_OK; i++)
        as = run_model(m, ref, err);
    if (o->profile)
        eng_model_set_profiling(m, 1);
    for (int i = 0; i < o->runs && as == APP_OK; i++) {
        double t0 = app_now();
        as = run_model(m, ref, err);
        ms[i] = (app_now() - t0) * 1e3;
    }
    if (as == APP_OK) {
        qsort(ms, (size_t)o->runs, sizeof(double), compare_double);
        int mid = o->runs / 2;
        r->median_ms = o->runs % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
        r->min_ms = ms[0];
        r->flops = model_flops(m);
    }
    free(ms);
    return as;
}

static int compare_entry_ms(const void *a, const void *b)
{
    double x = ((const eng_profile_entry *)a)->ms;
    double y = ((const eng_profile_entry *)b)->ms;
    return (x < y) - (x > y);
}

static double gflops(int64_t flops, double ms)
{
    return ms > 0 ? (double)flops / (ms * 1e6) : 0.0;
}

static void print_profile(const eng_model *m, int json)
{
    eng_profile p;
    eng_model_get_profile(m, &p);
    qsort(p.entries, (size_t)p.n_entries, sizeof(p.entries[0]),
          compare_entry_ms);
    int runs = p.runs > 0 ? p.runs : 1;
    if (!json)
        printf("    %-22s %-10s %5s %9s %6s %8s\n", "op", "backend", "nodes",
               "ms/run", "%", "GFLOP/s");
    for (int i = 0; i < p.n_entries; i++) {
        const eng_profile_entry *e = &p.entries[i];
        double ms = e->ms / runs;
        double pct = p.total_ms > 0 ? 100.0 * e->ms / p.total_ms : 0.0;
        if (json)
            printf("%s{\"op\":\"%s\",\"backend\":\"%s\",\"nodes\":%d,"
                   "\"ms_per_run\":%.4f,\"percent\":%.2f,"
                   "\"gflop_per_s\":%.3f}", i ? "," : "",
                   eng_op_name(e->op), e->backend, e->nodes, ms, pct,
                   gflops(e->flops, ms));
        else
            printf("    %-22s %-10s %5d %9.3f %6.1f %8.2f\n",
                   eng_op_name(e->op), e->backend, e->nodes, ms, pct,
                   gflops(e->flops, ms));
    }
}

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void print_bench(const char *name, const eng_model *m,
                        const bench_opts *o, const eng_runtime *rt,
                        const bench_result *r)
{
    int threads = eng_runtime_threads(rt);
    const char *numerics = eng_numerics_name(eng_runtime_numerics(rt));
    if (!o->json) {
        printf("%-30s %7d %-8s %5d %10.3f %9.3f %7.3f %8.2f\n", name,
               threads, numerics, o->runs, r->median_ms, r->min_ms,
               (double)r->flops * 1e-9, gflops(r->flops, r->median_ms));
        if (o->profile)
            print_profile(m, 0);
        fflush(stdout);
        return;
    }
    printf("{\"model\":");
    print_json_string(name);
    printf(",\"threads\":%d,\"numerics\":\"%s\",\"runs\":%d,"
           "\"warmup\":%d,\"median_ms\":%.4f,\"min_ms\":%.4f,"
           "\"flops\":%lld,\"gflop_per_s\":%.3f", threads, numerics,
           o->runs, o->warmup, r->median_ms, r->min_ms, (long long)r->flops,
           gflops(r->flops, r->median_ms));
    if (o->profile) {
        printf(",\"profile\":[");
        print_profile(m, 1);
        printf("]");
    }
    printf("}\n");
    fflush(stdout);
}

static app_status bench_one(eng_runtime *rt, const model_ref *ref,
                            const bench_opts *o, eng_error *err)
{
    eng_model *m = NULL;
    app_status as = load_model(rt, ref, &m, err);
    double lo = ref->reg ? ref->reg->input_lo : 0.0;
    double hi = ref->reg ? ref->reg->input_hi : 1.0;
    for (int i = 0; as == APP_OK && i < eng_model_num_inputs(m); i++)
        fill_input(eng_model_input_data(m, i), eng_model_input(m, i), lo,
                   hi);
    bench_result r;
    if (as == APP_OK)
        as = time_runs(m, ref, o, &r, err);
    if (as == APP_OK)
        print_bench(model_name(ref), m, o, rt, &r);
    eng_model_destroy(m);
    return as;
}

/* Benches every registry model; a model that fails is reported in its
 * row and the others still run. */
static app_status bench_all(eng_runtime *rt, const bench_opts *o,
                            eng_error *err)
{
    int failed = 0;
    for (int i = 0; i < mdl_count(); i++) {
        model_ref ref;
        eng_error e = { .msg = "" };
        app_status as = resolve_model(mdl_at(i)->name, &ref, &e);
        if (as == APP_OK)
            as = bench_one(rt, &ref, o, &e);
        if (as == APP_OK)
            continue;
        failed++;
        if (o->json) {
            printf("{\"model\":\"%s\",\"error\":", mdl_at(i)->name);
            print_json_string(e.msg);
            printf("}\n");
        } else {
            printf("%-30s error: %s\n", mdl_at(i)->name, e.msg);
        }
    }
    if (!failed)
        return APP_OK;
    eng_fail(err, ENG_EINVAL, "%d of %d models failed to run", failed,
             mdl_count());
    return APP_FAILED;
}

static app_status model_bench(int argc, char **argv, eng_error *err)
{
    bench_opts o = { .threads = 0, .runs = 30, .warmup = 5 };
    const app_option opts[] = {
        { "--threads", APP_OPT_INT, &o.threads, 0, MAX_THREADS },
        { "--runs", APP_OPT_INT, &o.runs, 1, 100000 },
        { "--warmup", APP_OPT_INT, &o.warmup, 0, 100000 },
        { "--json", APP_OPT_FLAG, &o.json, 0, 0 },
        { "--profile", APP_OPT_FLAG, &o.profile, 0, 0 },
        { "--fast-math", APP_OPT_FLAG, &o.fast, 0, 0 },
    };
    char *pos[1];
    int n_pos;
    app_status as = app_parse_options(argc, argv, opts, 6, pos, 1, &n_pos,
                                      err);
    if (as != APP_OK)
        return as;
    if (n_pos != 1) {
        eng_fail(err, ENG_EINVAL, "model bench needs MODEL or 'all'");
        return APP_USAGE;
    }
    bool all = !strcmp(pos[0], "all");
    model_ref ref;
    if (!all && (as = resolve_model(pos[0], &ref, err)) != APP_OK)
        return as;
    eng_runtime *rt = NULL;
    as = open_runtime(o.threads, o.fast, &rt, err);
    if (as == APP_OK && !o.json)
        printf("%-30s %7s %-8s %5s %10s %9s %7s %8s\n", "model", "threads",
               "numerics", "runs", "median ms", "min ms", "GFLOP",
               "GFLOP/s");
    if (as == APP_OK)
        as = all ? bench_all(rt, &o, err) : bench_one(rt, &ref, &o, err);
    eng_runtime_destroy(rt);
    return as;
}

const app_command app_model_commands[] = {
    { "info", "MODEL", "Print I/O, op census, parameters, FLOPs and arena "
      "bytes.", model_info, NULL },
    { "run", "MODEL --input FILE --out DIR [--threads N] [--fast-math]", "Run "
      "on FILE (.npy or raw FILE:N,H,W,C); write DIR/<i>_<name>.npy. "
      "--fast-math: FMA kernels, not TFLite's bits.", model_run, NULL },
    { "bench", "MODEL|all [--threads N] [--runs N] [--warmup N] [--json] "
      "[--profile] [--fast-math]", "Time runs on a fixed input: median/min ms, "
      "GFLOP/s; per-op with --profile; --fast-math as in run.", model_bench,
      NULL },
    { NULL, NULL, NULL, NULL, NULL },
};
