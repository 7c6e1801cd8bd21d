/*
 * Private to the runtime: building the one-line error messages the API returns.
 *
 * Every byte that reaches a message goes through one sink that keeps it a single, safe
 * line whatever the input held: control characters (C0, DEL and C1) and bytes that are
 * not valid UTF-8 are written as escapes, multi-byte characters are copied whole, and a
 * message longer than ATTEND_ERROR_SIZE - 1 bytes ends with "..." instead of overflowing.
 */
#ifndef ATTEND_MESSAGE_H
#define ATTEND_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "attend_runtime.h"

#if defined(__GNUC__) || defined(__clang__)
#define ATTEND_PRINTF(format_index, first_argument) __attribute__((format(printf, format_index, first_argument)))
#else
#define ATTEND_PRINTF(format_index, first_argument)
#endif

typedef struct {
    char *out;   /* ATTEND_ERROR_SIZE bytes, always NUL-terminated; NULL discards */
    size_t length;
    int full;    /* set once something did not fit; later text is dropped */
} attend_message;

/* Starts an empty message in `out`. */
void attend_message_begin(attend_message *message, char *out);
/* Appends `length` bytes of untrusted text (escaped as described above). */
void attend_message_bytes(attend_message *message, const char *bytes, size_t length);
/* Appends an untrusted name (`length` bytes), clipped after ATTEND_MESSAGE_NAME_CLIP bytes
 * (at a character boundary, then "...") so that one name cannot crowd out the message. */
#define ATTEND_MESSAGE_NAME_CLIP 60 /* as the Swift side's Limits.nameInMessage */
void attend_message_name(attend_message *message, const char *name, size_t length);
/* Appends a NUL-terminated string (NULL appends "(null)"). */
void attend_message_text(attend_message *message, const char *text);
/* Appends printf-formatted text; the result goes through the same escaping. */
void attend_message_format(attend_message *message, const char *format, ...) ATTEND_PRINTF(2, 3);
/* Appends a shape the way PyTorch prints it: `[2, 3]`, `[]`. */
void attend_message_shape(attend_message *message, int rank, const int64_t *shape);

/* The whole message at once: `error` gets the formatted, escaped text. Returns 1 so that
 * callers can write `return attend_fail(error, ...);`. */
int attend_fail(char *error, const char *format, ...) ATTEND_PRINTF(2, 3);

#endif
