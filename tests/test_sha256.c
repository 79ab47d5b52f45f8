/*
 * test_sha256: models/sha256.c against the FIPS 180-2 / NIST example
 * vectors, the same digests when the message is fed in pieces split at
 * every block-boundary case, and the file helper on the model cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"
#include "sha256.h"
#include "testlib.h"

static void hex_of(const uint8_t d[MDL_SHA256_BYTES], char *hex)
{
    for (int i = 0; i < MDL_SHA256_BYTES; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
}

static void test_vectors(void)
{
    static const struct {
        const char *msg, *digest;
    } v[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
          "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char hex[MDL_SHA256_HEX];
        mdl_sha256_hex_of(v[i].msg, strlen(v[i].msg), hex);
        CHECK(!strcmp(hex, v[i].digest), "vector %zu: %s", i, hex);
    }
}

static void test_million_a(void)
{
    /* One million 'a', fed in uneven pieces. */
    char chunk[1024];
    memset(chunk, 'a', sizeof(chunk));
    mdl_sha256 s;
    uint8_t d[MDL_SHA256_BYTES];
    char hex[MDL_SHA256_HEX];
    mdl_sha256_init(&s);
    size_t done = 0, step = 1;
    while (done < 1000000) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;
        mdl_sha256_update(&s, chunk, n);
        done += n;
        step = step % 997 + 13;
    }
    mdl_sha256_final(&s, d);
    hex_of(d, hex);
    CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
                       "f1809a48a497200e046d39ccc7112cd0"),
          "one million 'a': %s", hex);
}

/* Lengths around the padding boundaries (55, 56, 64 ...), every split. */
static void test_splits(void)
{
    uint8_t msg[200];
    for (int i = 0; i < 200; i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    static const size_t lens[] = { 0, 1, 55, 56, 57, 63, 64, 65, 119, 120,
                                   127, 128, 129, 200 };
    int bad = 0;
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        char want[MDL_SHA256_HEX], got[MDL_SHA256_HEX];
        mdl_sha256_hex_of(msg, lens[k], want);
        for (size_t cut = 0; cut <= lens[k]; cut++) {
            mdl_sha256 s;
            uint8_t d[MDL_SHA256_BYTES];
            mdl_sha256_init(&s);
            mdl_sha256_update(&s, msg, cut);
            mdl_sha256_update(&s, msg + cut, lens[k] - cut);
            mdl_sha256_final(&s, d);
            hex_of(d, got);
            bad += strcmp(got, want) != 0;
        }
    }
    CHECK(bad == 0, "%d split digests differ from one-shot", bad);
}

static void test_file(void)
{
    char path[] = "/tmp/test_sha256-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0)
        return;
    CHECK(write(fd, "abc", 3) == 3, "write");
    close(fd);
    char hex[MDL_SHA256_HEX];
    size_t size = 0;
    eng_error err = { .msg = "" };
    CHECK(mdl_sha256_file(path, hex, &size, &err) == ENG_OK && size == 3 &&
          !strcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
                       "b00361a396177a9cb410ff61f20015ad"),
          "file digest %s", hex);
    unlink(path);
    CHECK(mdl_sha256_file(path, hex, &size, &err) == ENG_EIO &&
          strstr(err.msg, path) != NULL, "missing file: %s", err.msg);
}

/* A real model, when the cache has it: the registry's digest. */
static void test_cached_model(void)
{
    char path[1024];
    const mdl_model *m = mdl_find("selfie_segmentation");
    test_model_path(m->name, path, sizeof(path));
    if (access(path, R_OK) != 0) {
        printf("skip: %s not in the model cache\n", m->name);
        return;
    }
    char hex[MDL_SHA256_HEX];
    size_t size = 0;
    CHECK(mdl_sha256_file(path, hex, &size, NULL) == ENG_OK &&
          size == m->size && !strcmp(hex, m->sha256), "%s: %s", path, hex);
}

int main(void)
{
    test_vectors();
    test_million_a();
    test_splits();
    test_file();
    test_cached_model();
    return test_finish();
}
