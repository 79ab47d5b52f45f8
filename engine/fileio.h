/*
 * fileio: reading a whole file and finishing a written one, with the
 * engine's one-line errors (status.h), for the model, tensor and mesh
 * files the engine reads and writes.
 */
#ifndef ENG_FILEIO_H
#define ENG_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "status.h"

/* Reads the regular file at `path` whole into *buf (malloc'd, the
 * caller's to free; never NULL on success, even for an empty file) and
 * its length into *size. max_bytes > 0 refuses larger files before
 * allocating for them. EIO (cannot open, not a regular file, read error),
 * EFORMAT (more than max_bytes), ENOMEM; messages start with the path. */
eng_status eng_read_file(const char *path, size_t max_bytes, uint8_t **buf,
                         size_t *size, eng_error *err);

/* Closes `f`, written through stdio to `path`. When ok is 0 (a write
 * failed) or closing fails, removes the partial file and returns EIO with
 * the system's reason; else ENG_OK. */
eng_status eng_finish_write(FILE *f, int ok, const char *path,
                            eng_error *err);

#endif
