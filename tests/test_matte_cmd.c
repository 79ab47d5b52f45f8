/*
 * `posescope matte` (app/matte_cmd.h), called in-process: the files it
 * writes for an image, a video with --matte-every and a hint, and its
 * answers to bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "matte_cmd.h"
#include "testlib.h"

#define MEDIA POSESCOPE_TEST_DATA "/media/"

static char dir[] = "/tmp/test_matte_cmd.XXXXXX";

static app_status run(const char *const *args, int n)
{
    char *argv[32];
    for (int i = 0; i < n; i++)
        argv[i] = (char *)args[i];
    eng_error err = { 0 };
    app_status st = app_matte_cmd(n, argv, &err);
    if (st != APP_OK)
        printf("  -> status %d: %s\n", st, err.msg);
    return st;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0;
}

static int file_has(const char *path, const char *text)
{
    size_t size = 0;
    uint8_t *buf = test_read_file(path, &size);
    if (!buf)
        return 0;
    char *s = realloc(buf, size + 1);
    s[size] = 0;
    int ok = strstr(s, text) != NULL;
    free(s);
    return ok;
}

int main(void)
{
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return test_finish();
    }
    char out[256], path[512];

    snprintf(out, sizeof(out), "%s/image", dir);
    const char *image[] = { "matte", MEDIA "images/woman_hair_pexels_cc0.png",
                            "--out", out, "--background", "#00ff00", "--fg" };
    CHECK(run(image, 7) == APP_OK, "image run");
    const char *subs[] = { "alpha", "fg", "composite" };
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s/woman_hair_pexels_cc0.png", out,
                 subs[i]);
        CHECK(exists(path), "%s missing", path);
    }

    /* A video: the model runs on frames 0 and 2 of 3 with matte-every 2. */
    snprintf(out, sizeof(out), "%s/video", dir);
    const char *video[] = { "matte", MEDIA "videos/pose_squats_10s.mp4",
                            "--out", out, "--frames", "3",
                            "--matte-every", "2", "--background", "blur" };
    CHECK(run(video, 10) == APP_OK, "video run");
    snprintf(path, sizeof(path), "%s/matte.csv", out);
    CHECK(file_has(path, "\n0,1,") && file_has(path, "\n1,0,") &&
              file_has(path, "\n2,1,") && !file_has(path, "\n3,"),
          "matte.csv rows");
    snprintf(path, sizeof(path), "%s/composite/000002.png", out);
    CHECK(exists(path), "%s missing", path);

    /* A hint instead of the model. */
    snprintf(out, sizeof(out), "%s/hint", dir);
    const char *hint[] = { "matte", MEDIA "images/obama_portrait_pd.jpg",
                           "--out", out, "--alpha-hint",
                           MEDIA "images/obama_portrait_pd.jpg",
                           "--feather", "8", "--grow", "-4" };
    CHECK(run(hint, 10) == APP_OK, "hint run");
    snprintf(path, sizeof(path), "%s/matte.csv", out);
    CHECK(file_has(path, "\n0,0,"), "a hint does not run the model");

    /* An image as the background, stretched to the frame. */
    snprintf(out, sizeof(out), "%s/bgfile", dir);
    const char *bgfile[] = { "matte", MEDIA "images/obama_portrait_pd.jpg",
                             "--out", out, "--background",
                             MEDIA "images/astronaut_nasa_pd.png",
                             "--model", "general", "--no-smoothing" };
    CHECK(run(bgfile, 9) == APP_OK, "background file run");
    snprintf(path, sizeof(path), "%s/composite/obama_portrait_pd.png", out);
    CHECK(exists(path), "%s missing", path);

    const char *help[] = { "matte", "--help" };
    CHECK(run(help, 2) == APP_HELP, "--help");
    const char *names[] = { "--model", "--alpha-hint", "--background",
                            "--matte-every", "--threshold", "--feather",
                            "--grow", "--no-refine", "--no-smoothing",
                            "--fg", "--frames", "--threads" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        CHECK(strstr(app_matte_usage, names[i]), "usage lacks %s", names[i]);

    const char *no_out[] = { "matte", MEDIA "images/obama_portrait_pd.jpg" };
    CHECK(run(no_out, 2) == APP_USAGE, "no --out");
    const char *bad_model[] = { "matte", MEDIA "images/obama_portrait_pd.jpg",
                                "--out", out, "--model", "portrait" };
    CHECK(run(bad_model, 6) == APP_BAD_INPUT, "bad --model");
    const char *bad_thr[] = { "matte", MEDIA "images/obama_portrait_pd.jpg",
                              "--out", out, "--threshold", "1.5" };
    CHECK(run(bad_thr, 6) == APP_BAD_INPUT, "bad --threshold");
    const char *bad_every[] = { "matte", MEDIA "images/obama_portrait_pd.jpg",
                                "--out", out, "--matte-every", "0" };
    CHECK(run(bad_every, 6) == APP_USAGE, "bad --matte-every");
    const char *bad_bg[] = { "matte", MEDIA "images/obama_portrait_pd.jpg",
                             "--out", out, "--background", "/nonexistent.png" };
    CHECK(run(bad_bg, 6) == APP_FAILED, "missing background file");
    const char *bad_src[] = { "matte", "/nonexistent.mp4", "--out", out };
    CHECK(run(bad_src, 4) == APP_FAILED, "missing source");

    return test_finish_in(dir);
}
