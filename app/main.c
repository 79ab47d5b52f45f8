/*
 * main: the posescope command line. It dispatches argv to a command of the
 * table below and is the one place that prints errors: a command returns
 * an app_status and a one-line message, main prints "posescope: MESSAGE"
 * on stderr (plus the usage for usage errors) and exits 0, 1 or 2 (see
 * cli.h). New commands get a row in `commands`; `--headless` anywhere
 * on the line runs headless.c instead, and a first argument that is no
 * command is a SOURCE for the window (viewer.c).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_cmd.h"
#include "cli.h"
#include "headless.h"
#include "matte_cmd.h"
#include "matte_view.h"
#include "model_cmd.h"
#include "pipeline.h"
#include "models_cmd.h"
#include "viewer.h"

static const app_command commands[] = {
    { "models", "", "The model cache.", NULL, app_models_commands },
    { "model", "", "One model file.", NULL, app_model_commands },
    { "bench", "SOURCE [--frames N] [options]",
      "Detector-stride table: ms, FPS and keypoint drift per stride.",
      app_bench_cmd, NULL },
    { "matte", "SOURCE --out DIR [options]",
      "Person mattes: alpha, foreground and composite PNGs per frame.",
      app_matte_cmd, NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: posescope COMMAND [ARGS]\n"
            "       posescope SOURCE [options]          (the window)\n"
            "       posescope --headless SOURCE --out DIR [options]\n"
            "       posescope --list-cameras\n"
            "       posescope --help | --version\n"
            "\n"
            "posescope runs MediaPipe's pose, hand and segmentation models "
            "on its own C\ninference engine.\n"
            "\n"
            "commands:\n");
    app_print_commands(f, commands, "posescope");
    fprintf(f,
            "\n"
            "SOURCE is a video file, an image, a folder of images or "
            "webcam[:N].\n"
            "--headless runs without a window and writes DIR/results.jsonl, "
            "latency.csv,\nlatency.png and annotated.mp4. Options "
            "(--headless; bench takes the second group):\n"
            "%s%s"
            "\n", app_headless_usage, app_pipeline_usage);
    fprintf(f, "Person mattes in the window and --headless (the view "
            "goes into recordings\nand annotated.mp4):\n%s\n",
            app_matte_view_usage);
    fprintf(f, "The window (posescope SOURCE) takes the options above "
            "and:\n%s\n", app_viewer_usage);
    fprintf(f,
            "MODEL is a model name (`posescope models list`) or a path to "
            "a .tflite file.\n"
            "The model cache is $POSESCOPE_MODELS, else "
            "$XDG_CACHE_HOME/posescope/models,\nelse "
            "~/.cache/posescope/models.\n"
            "Exit status: 0 ok, 1 failure, 2 bad usage, bad input or bad "
            "model file.\n");
}

/* The window runs when the first argument looks like a SOURCE (a path
 * that exists or has a '/' or '.', or a webcam spec), or is an option
 * other than the top-level ones; a bare word stays an (unknown) command. */
static int is_viewer(int argc, char **argv)
{
    if (argc < 2)
        return 0;
    const char *a = argv[1];
    for (const app_command *c = commands; c->name; c++)
        if (!strcmp(a, c->name))
            return 0;
    if (a[0] == '-')
        return strcmp(a, "--help") && strcmp(a, "-h");
    return strchr(a, '/') || strchr(a, '.') || !strncmp(a, "webcam", 6) ||
           access(a, F_OK) == 0;
}

/* --headless anywhere makes the whole line a headless run. */
static int has_headless(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--headless"))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("posescope %s\n", POSESCOPE_VERSION);
        return 0;
    }
    eng_error err = { .msg = "" };
    app_status st;
    if (has_headless(argc, argv))
        st = app_headless_cmd(argc, argv, &err);
    else if (argc == 2 && !strcmp(argv[1], "--list-cameras"))
        st = app_list_cameras_cmd(argc, argv, &err);
    else if (is_viewer(argc, argv))
        st = app_viewer_cmd(argc, argv, &err);
    else
        st = app_dispatch(commands, "", argc - 1, argv + 1, &err);
    fflush(stdout);
    if (st == APP_HELP) {
        print_usage(stdout);
    } else if (st != APP_OK) {
        if (err.msg[0])
            fprintf(stderr, "posescope: %s\n", err.msg);
        if (st == APP_USAGE)
            print_usage(stderr);
    }
    return app_exit_code(st);
}
