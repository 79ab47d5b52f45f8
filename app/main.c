/*
 * main: the posescope command line. It dispatches argv to a command of the
 * table below and is the one place that prints errors: a command returns
 * an app_status and a one-line message, main prints "posescope: MESSAGE"
 * on stderr (plus the usage for usage errors) and exits 0, 1 or 2 (see
 * cli.h). New commands (`bench SOURCE`, the window, --headless) get a row
 * in `commands` or an option in main().
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "model_cmd.h"
#include "models_cmd.h"

static const app_command commands[] = {
    { "models", "", "The model cache.", NULL, app_models_commands },
    { "model", "", "One model file.", NULL, app_model_commands },
    { NULL, NULL, NULL, NULL, NULL },
};

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: posescope COMMAND [ARGS]\n"
            "       posescope --help | --version\n"
            "\n"
            "posescope runs MediaPipe's pose, hand and segmentation models "
            "on its own C\ninference engine.\n"
            "\n"
            "commands:\n");
    app_print_commands(f, commands, "posescope");
    fprintf(f,
            "\n"
            "MODEL is a model name (`posescope models list`) or a path to "
            "a .tflite file.\n"
            "The model cache is $POSESCOPE_MODELS, else "
            "$XDG_CACHE_HOME/posescope/models,\nelse "
            "~/.cache/posescope/models.\n"
            "Exit status: 0 ok, 1 failure, 2 bad usage, bad input or bad "
            "model file.\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("posescope %s\n", POSESCOPE_VERSION);
        return 0;
    }
    eng_error err = { .msg = "" };
    app_status st = app_dispatch(commands, "", argc - 1, argv + 1, &err);
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
