/*
 * json: a small JSON reader for tests (reference outputs, expected
 * keypoints). Parses a whole document into a tree; no writer, no streaming,
 * numbers as double, strings without \u escapes beyond ASCII. Tests only:
 * it allocates freely.
 */
#ifndef TEST_JSON_H
#define TEST_JSON_H

typedef enum tjson_type {
    TJSON_NULL,
    TJSON_BOOL,
    TJSON_NUMBER,
    TJSON_STRING,
    TJSON_ARRAY,
    TJSON_OBJECT,
} tjson_type;

typedef struct tjson tjson;

/* Parses the file; NULL (with a failed check naming the file and offset)
 * when it cannot be read or is not JSON. Free with tjson_free(). */
tjson *tjson_load(const char *path);

/* The line of a JSON-lines file (results.jsonl) whose member "frame" is
 * `frame`, parsed; NULL (with a failed check) when the file cannot be
 * read or has no such line. Free with tjson_free(). */
tjson *tjson_load_frame(const char *path, int frame);

/* Frees a tree from tjson_load(). Accepts NULL. */
void tjson_free(tjson *j);

tjson_type tjson_type_of(const tjson *j);

/* Member `key` of an object, element i of an array; NULL when absent or
 * when j is NULL or of another type, so lookups chain. */
const tjson *tjson_get(const tjson *j, const char *key);
const tjson *tjson_at(const tjson *j, int i);

/* Elements of an array or members of an object; 0 otherwise. */
int tjson_len(const tjson *j);

/* The number (bool: 0/1), or `def` when j is not one. */
double tjson_num(const tjson *j, double def);

/* The string, or NULL when j is not one. Valid while the tree lives. */
const char *tjson_str(const tjson *j);

#endif
