/*
 * test_prune: dropping a graph output removes exactly the work that only
 * it needed. On pose_landmark_full (the body task drops its segmentation
 * mask), the pruned model must keep every other output bit for bit, run
 * fewer nodes and FLOPs, and refuse bad indices.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "testlib.h"
#include "tflite.h"

static int64_t graph_flops(const eng_graph *g)
{
    int64_t f = 0;
    for (int i = 0; i < g->n_nodes; i++)
        f += eng_node_flops(g, &g->nodes[i]);
    return f;
}

static eng_model *load(eng_runtime *rt, const char *path, int drop)
{
    eng_graph *g = NULL;
    eng_model *m = NULL;
    eng_error err = {0};
    if (eng_tflite_import_file(path, &g, &err) != ENG_OK) {
        CHECK(0, "import: %s", err.msg);
        return NULL;
    }
    if (drop >= 0 && eng_graph_drop_output(g, drop, &err) != ENG_OK) {
        CHECK(0, "drop: %s", err.msg);
        eng_graph_destroy(g);
        return NULL;
    }
    CHECK(eng_model_create(rt, g, &m, &err) == ENG_OK, "create: %s",
          err.msg);
    return m;
}

static void run(eng_model *m)
{
    eng_error err = {0};
    uint64_t seed = 7;
    float *in = eng_model_input_data(m, 0);
    for (size_t i = 0; i < eng_model_input(m, 0)->count; i++)
        in[i] = test_rand_uniform(&seed, 0.0f, 1.0f);
    CHECK(eng_model_run(m, &err) == ENG_OK, "run: %s", err.msg);
}

static void test_bad_index(const char *path)
{
    eng_graph *g = NULL;
    eng_error err = {0};
    if (eng_tflite_import_file(path, &g, &err) != ENG_OK)
        return;
    CHECK(eng_graph_drop_output(g, g->n_outputs, &err) == ENG_EINVAL,
          "index past the outputs accepted");
    CHECK(eng_graph_drop_output(g, -1, &err) == ENG_EINVAL,
          "negative index accepted");
    while (g->n_outputs > 1)
        CHECK(eng_graph_drop_output(g, 0, &err) == ENG_OK, "%s", err.msg);
    CHECK(eng_graph_drop_output(g, 0, &err) == ENG_EINVAL,
          "the last output dropped");
    eng_graph_destroy(g);
}

int main(void)
{
    char path[512];
    eng_runtime *rt = NULL;
    eng_error err = {0};
    test_model_path("pose_landmark_full", path, sizeof(path));
    if (eng_runtime_create(&(eng_runtime_desc){0}, &rt, &err) != ENG_OK) {
        CHECK(0, "runtime: %s", err.msg);
        return test_finish();
    }
    eng_model *full = load(rt, path, -1);
    int seg = -1;
    for (int i = 0; full && i < eng_model_num_outputs(full); i++)
        if (eng_model_output(full, i)->count == 256 * 256)
            seg = i;
    CHECK(seg >= 0, "no 256x256 segmentation output");
    eng_model *pruned = seg >= 0 ? load(rt, path, seg) : NULL;
    if (full && pruned) {
        const eng_graph *a = eng_model_graph(full), *b = eng_model_graph(pruned);
        printf("nodes %d -> %d, MFLOP %.1f -> %.1f\n", a->n_nodes, b->n_nodes,
               graph_flops(a) / 1e6, graph_flops(b) / 1e6);
        CHECK(b->n_nodes < a->n_nodes && graph_flops(b) < graph_flops(a),
              "nothing pruned");
        CHECK(eng_model_num_outputs(pruned) ==
                  eng_model_num_outputs(full) - 1, "output count");
        run(full);
        run(pruned);
        for (int i = 0, j = 0; i < eng_model_num_outputs(full); i++) {
            if (i == seg)
                continue;
            const eng_tensor *t = eng_model_output(full, i);
            CHECK(strcmp(t->name, eng_model_output(pruned, j)->name) == 0,
                  "output %d is %s, want %s", j,
                  eng_model_output(pruned, j)->name, t->name);
            CHECK(memcmp(eng_model_output_data(full, i),
                         eng_model_output_data(pruned, j),
                         t->count * sizeof(float)) == 0,
                  "output %s changed", t->name);
            j++;
        }
    }
    test_bad_index(path);
    eng_model_destroy(full);
    eng_model_destroy(pruned);
    eng_runtime_destroy(rt);
    return test_finish();
}
