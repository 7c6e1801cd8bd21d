/*
 * Private to the runtime: a small strict JSON (RFC 8259) reader for untrusted text.
 *
 * It is a pull parser: the caller walks the document it expects (the safetensors header)
 * and nothing is built that the caller does not keep, so a hostile document costs no more
 * memory than its longest string. Nesting is bounded by JSON_MAX_DEPTH, strings must be
 * valid UTF-8 (escapes included: no unpaired surrogates), numbers follow the grammar.
 * The first error is kept, with the byte offset where it was found.
 */
#ifndef ATTEND_JSON_H
#define ATTEND_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

typedef struct {
    const unsigned char *text;
    size_t length;
    size_t position;
    /* The last string read: decoded bytes, NUL-terminated (it may also contain NULs). */
    char *string;
    size_t string_length, string_capacity;
    /* The first error, if any. */
    const char *reason;
    size_t error_position;
} json_parser;

void json_begin(json_parser *parser, const void *text, size_t length);
void json_end(json_parser *parser);

/* Records `reason` as the error (unless there is one already) and returns 0. */
int json_fail(json_parser *parser, const char *reason);
/* Skips whitespace and returns the next byte, or -1 at the end of the text. */
int json_peek(json_parser *parser);
/* Skips whitespace and consumes `c`; otherwise records `reason` and returns 0. */
int json_expect(json_parser *parser, char c, const char *reason);
/* The position after whitespace is the end of the text; otherwise an error. */
int json_at_end(json_parser *parser);

/* Reads a string into parser->string. Returns 1, or 0 with an error. */
int json_string(json_parser *parser);
/* Reads a number; `*start` and `*length` locate its text. Returns 1, or 0 with an error. */
int json_number(json_parser *parser, size_t *start, size_t *length);
/* Skips one value of any kind; `depth` is the nesting depth it sits at. */
int json_skip(json_parser *parser, int depth);

/* After the opening bracket of an object or array: 1 if the container is empty (and its
 * closing bracket was consumed), else 0. After an element: 1 if ',' follows (more
 * elements), 0 if `close` ended the container, -1 on an error. */
int json_empty(json_parser *parser, char close);
int json_more(json_parser *parser, char close);

/* Interprets number text as a non-negative integer up to INT64_MAX. */
typedef enum { JSON_INTEGER_OK, JSON_INTEGER_NEGATIVE, JSON_INTEGER_FRACTIONAL, JSON_INTEGER_TOO_LARGE } json_integer_status;
json_integer_status json_integer(const char *text, size_t length, uint64_t *value);

#endif
