#include "glutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static eng_status gl_fail(eng_error *err, const char *what, GLuint obj,
                          bool program)
{
    char log[200] = "";
    if (program)
        glGetProgramInfoLog(obj, sizeof(log), NULL, log);
    else
        glGetShaderInfoLog(obj, sizeof(log), NULL, log);
    log[strcspn(log, "\n")] = '\0';
    return eng_fail(err, ENG_EBACKEND, "%s: %s", what, log);
}

static GLuint compile(GLenum type, const char *src, const char *name,
                      const char *ext, eng_error *err)
{
    GLuint s = glCreateShader(type);
    glShaderSource(s, 1, &src, NULL);
    glCompileShader(s);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char what[96];
        snprintf(what, sizeof(what), "shaders/%s.%s", name, ext);
        gl_fail(err, what, s, false);
        glDeleteShader(s);
        return 0;
    }
    return s;
}

eng_status ren_gl_program(const char *vert_src, const char *frag_src,
                          const char *name, GLuint *program, eng_error *err)
{
    *program = 0;
    GLuint vs = compile(GL_VERTEX_SHADER, vert_src, name, "vert", err);
    GLuint fs = vs ? compile(GL_FRAGMENT_SHADER, frag_src, name, "frag", err)
                   : 0;
    if (!fs) {
        glDeleteShader(vs);
        return ENG_EBACKEND;
    }
    GLuint p = glCreateProgram();
    glAttachShader(p, vs);
    glAttachShader(p, fs);
    glLinkProgram(p);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(p, GL_LINK_STATUS, &ok);
    if (!ok) {
        char what[96];
        snprintf(what, sizeof(what), "linking the %s shaders", name);
        eng_status st = gl_fail(err, what, p, true);
        glDeleteProgram(p);
        return st;
    }
    *program = p;
    return ENG_OK;
}

GLuint ren_gl_texture(void)
{
    GLuint t;
    glGenTextures(1, &t);
    glBindTexture(GL_TEXTURE_2D, t);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    return t;
}
