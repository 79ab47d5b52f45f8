/*
 * glutil: the OpenGL set-up every drawing module of render/ needs the same
 * way: a program from one vertex and one fragment shader, and a 2-D
 * texture with the modules' sampling. Needs a current GL 3.3 context.
 */
#ifndef REN_GLUTIL_H
#define REN_GLUTIL_H

#include <epoxy/gl.h>

#include "status.h"

/* Compiles shaders/<name>.vert and .frag from their embedded sources and
 * links them into *program (the caller's; glDeleteProgram). EBACKEND
 * naming the shader file, or the linking, and the driver's first log
 * line; *program is 0 then. */
eng_status ren_gl_program(const char *vert_src, const char *frag_src,
                          const char *name, GLuint *program, eng_error *err);

/* A new 2-D texture, bound, sampled linearly and clamped to its edges. */
GLuint ren_gl_texture(void);

#endif
