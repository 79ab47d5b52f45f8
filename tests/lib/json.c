#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "testlib.h"

struct tjson {
    tjson_type type;
    double num;
    char *str;          /* string value */
    char *key;          /* member name inside an object */
    tjson **items;      /* array elements / object members */
    int n;
};

typedef struct parser {
    const char *s, *end;
    int failed;
} parser;

static tjson *parse_value(parser *p);

static void skip_ws(parser *p)
{
    while (p->s < p->end && strchr(" \t\r\n", *p->s))
        p->s++;
}

static int eat(parser *p, char c)
{
    skip_ws(p);
    if (p->s < p->end && *p->s == c) {
        p->s++;
        return 1;
    }
    return 0;
}

static tjson *new_node(tjson_type type)
{
    tjson *j = calloc(1, sizeof(*j));
    if (j)
        j->type = type;
    return j;
}

/* \uXXXX: ASCII code points are kept, others become '?'. */
static char parse_u_escape(parser *p)
{
    long v = 0;
    for (int i = 0; i < 4 && p->s < p->end; i++) {
        char h = *p->s++;
        int d = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : 0;
        v = v * 16 + d;
    }
    return v > 0 && v < 128 ? (char)v : '?';
}

static char *parse_string(parser *p)
{
    if (!eat(p, '"'))
        return NULL;
    const char *q = p->s; /* find the end first: size the copy */
    while (q < p->end && *q != '"')
        q += *q == '\\' ? 2 : 1;
    char *out = malloc((size_t)(q - p->s) + 1), *o = out;
    if (!out)
        return NULL;
    while (p->s < p->end && *p->s != '"') {
        char c = *p->s++;
        if (c == '\\' && p->s < p->end) {
            c = *p->s++;
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else if (c == 'u')
                c = parse_u_escape(p);
        }
        *o++ = c;
    }
    *o = 0;
    if (!eat(p, '"')) {
        free(out);
        return NULL;
    }
    return out;
}

static int push(tjson *parent, tjson *child)
{
    tjson **items = realloc(parent->items, sizeof(*items) * (parent->n + 1));
    if (!items)
        return 0;
    parent->items = items;
    items[parent->n++] = child;
    return 1;
}

/* Array or object body after the opening bracket. */
static tjson *parse_container(parser *p, tjson_type type, char close)
{
    tjson *j = new_node(type);
    if (!j || eat(p, close))
        return j;
    do {
        char *key = NULL;
        if (type == TJSON_OBJECT && (!(key = parse_string(p)) ||
                                     !eat(p, ':'))) {
            free(key);
            p->failed = 1;
            break;
        }
        tjson *v = parse_value(p);
        if (!v || !push(j, v)) {
            free(key);
            tjson_free(v);
            p->failed = 1;
            break;
        }
        v->key = key;
    } while (eat(p, ','));
    if (!p->failed && !eat(p, close))
        p->failed = 1;
    return j;
}

static tjson *parse_literal(parser *p, const char *word, tjson_type type,
                            double num)
{
    size_t n = strlen(word);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return NULL;
    p->s += n;
    tjson *j = new_node(type);
    if (j)
        j->num = num;
    return j;
}

static tjson *parse_value(parser *p)
{
    skip_ws(p);
    if (p->s >= p->end)
        return NULL;
    char c = *p->s;
    if (c == '{') {
        p->s++;
        return parse_container(p, TJSON_OBJECT, '}');
    }
    if (c == '[') {
        p->s++;
        return parse_container(p, TJSON_ARRAY, ']');
    }
    if (c == '"') {
        tjson *j = new_node(TJSON_STRING);
        if (j && !(j->str = parse_string(p))) {
            free(j);
            return NULL;
        }
        return j;
    }
    if (c == 't')
        return parse_literal(p, "true", TJSON_BOOL, 1);
    if (c == 'f')
        return parse_literal(p, "false", TJSON_BOOL, 0);
    if (c == 'n')
        return parse_literal(p, "null", TJSON_NULL, 0);
    char *after;
    double v = strtod(p->s, &after);
    if (after == p->s)
        return NULL;
    p->s = after;
    tjson *j = new_node(TJSON_NUMBER);
    if (j)
        j->num = v;
    return j;
}

/* One JSON document in text[0..size); `name` goes into the failed
 * check. */
static tjson *parse_text(const char *text, size_t size, const char *name)
{
    parser p = {text, text + size, 0};
    tjson *j = parse_value(&p);
    skip_ws(&p);
    int ok = j && !p.failed && p.s == p.end;
    CHECK(ok, "%s: not valid JSON near byte %ld", name, (long)(p.s - text));
    if (!ok) {
        tjson_free(j);
        return NULL;
    }
    return j;
}

tjson *tjson_load(const char *path)
{
    size_t size;
    uint8_t *text = test_read_file(path, &size);
    if (!text)
        return NULL;
    tjson *j = parse_text((const char *)text, size, path);
    free(text);
    return j;
}

tjson *tjson_load_frame(const char *path, int frame)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f)
        return NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long number = 0;
    tjson *j = NULL;
    while (!j && (len = getline(&line, &cap, f)) > 0) {
        char where[512];
        snprintf(where, sizeof where, "%s, line %ld", path, ++number);
        tjson *t = parse_text(line, (size_t)len, where);
        if (tjson_num(tjson_get(t, "frame"), -1) == frame)
            j = t;
        else
            tjson_free(t);
    }
    free(line);
    fclose(f);
    CHECK(j != NULL, "no line for frame %d in %s", frame, path);
    return j;
}

void tjson_free(tjson *j)
{
    if (!j)
        return;
    for (int i = 0; i < j->n; i++)
        tjson_free(j->items[i]);
    free(j->items);
    free(j->str);
    free(j->key);
    free(j);
}

tjson_type tjson_type_of(const tjson *j)
{
    return j ? j->type : TJSON_NULL;
}

const tjson *tjson_get(const tjson *j, const char *key)
{
    if (!j || j->type != TJSON_OBJECT)
        return NULL;
    for (int i = 0; i < j->n; i++)
        if (strcmp(j->items[i]->key, key) == 0)
            return j->items[i];
    return NULL;
}

const tjson *tjson_at(const tjson *j, int i)
{
    if (!j || (j->type != TJSON_ARRAY && j->type != TJSON_OBJECT) || i < 0 ||
        i >= j->n)
        return NULL;
    return j->items[i];
}

int tjson_len(const tjson *j)
{
    return j && (j->type == TJSON_ARRAY || j->type == TJSON_OBJECT) ? j->n
                                                                      : 0;
}

double tjson_num(const tjson *j, double def)
{
    return j && (j->type == TJSON_NUMBER || j->type == TJSON_BOOL) ? j->num
                                                                     : def;
}

const char *tjson_str(const tjson *j)
{
    return j && j->type == TJSON_STRING ? j->str : NULL;
}
