/*
 * model_cmd: `posescope model info|run|bench`, one model file at a time.
 *
 * MODEL is a registry name (resolved in the model cache) or a path to a
 * .tflite file. info prints the I/O signature, the op census before and
 * after lowering, parameters, FLOPs and the activation arena; run feeds a
 * .npy (or raw float32 FILE:N,H,W,C) input and writes every output as
 * DIR/<index>_<name>.npy exactly as the reference tool (tflite-oracle)
 * does; bench times runs on a deterministic input (the oracle's gen-input
 * image), optionally per op type, for one model or `all`.
 *
 * Exit status: 0 ok; 1 when running fails; 2 for a bad or truncated model
 * file, a bad input and usage errors.
 */
#ifndef APP_MODEL_CMD_H
#define APP_MODEL_CMD_H

#include "cli.h"

/* The `model` command group (a table for app_dispatch). */
extern const app_command app_model_commands[];

#endif
