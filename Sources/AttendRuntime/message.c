/* One-line, bounded, escaped error messages (see attend_message.h). */
#include "attend_message.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Room for the text: the buffer less the NUL and the "..." a truncated message ends with. */
#define MESSAGE_ROOM (ATTEND_ERROR_SIZE - 1 - 3)

void attend_message_begin(attend_message *message, char *out) {
    message->out = out;
    message->length = 0;
    message->full = 0;
    if (out) out[0] = '\0';
}

/* Appends one indivisible piece (a character or an escape), or marks the message full. */
static void put(attend_message *message, const char *piece, size_t length) {
    if (message->full) return;
    if (message->length + length > MESSAGE_ROOM) {
        message->full = 1;
        if (message->out) memcpy(message->out + message->length, "...", 4);
        message->length += 3;
        return;
    }
    if (message->out) {
        memcpy(message->out + message->length, piece, length);
        message->out[message->length + length] = '\0';
    }
    message->length += length;
}

/* `\xNN` for a byte, or `\uNNNN` for a code point. */
static void put_escape(attend_message *message, int unicode, unsigned value) {
    char piece[16];
    int length = unicode ? snprintf(piece, sizeof piece, "\\u%04x", value) : snprintf(piece, sizeof piece, "\\x%02x", value);
    if (length > 0) put(message, piece, (size_t)length);
}

/* Length of the valid UTF-8 sequence at `s` (at most `available` bytes), or 0. */
static size_t utf8_length(const unsigned char *s, size_t available, unsigned *code) {
    size_t length;
    unsigned value, minimum;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) { length = 2; value = s[0] & 0x1Fu; minimum = 0x80; }
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) { length = 3; value = s[0] & 0x0Fu; minimum = 0x800; }
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) { length = 4; value = s[0] & 0x07u; minimum = 0x10000; }
    else return 0;
    if (length > available) return 0;
    for (size_t k = 1; k < length; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        value = value << 6 | (s[k] & 0x3Fu);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
    *code = value;
    return length;
}

void attend_message_bytes(attend_message *message, const char *bytes, size_t length) {
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    while (i < length && !message->full) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7F) {
            put(message, (const char *)s + i, 1);
            i += 1;
        } else if (c < 0x80) {
            switch (c) {
            case '\n': put(message, "\\n", 2); break;
            case '\r': put(message, "\\r", 2); break;
            case '\t': put(message, "\\t", 2); break;
            default: put_escape(message, 0, c); break;
            }
            i += 1;
        } else {
            unsigned code = 0;
            size_t sequence = utf8_length(s + i, length - i, &code);
            if (sequence == 0) {
                put_escape(message, 0, c);
                i += 1;
            } else {
                if (code < 0xA0) put_escape(message, 1, code); /* C1 controls */
                else put(message, (const char *)s + i, sequence);
                i += sequence;
            }
        }
    }
}

void attend_message_name(attend_message *message, const char *name, size_t length) {
    if (length <= ATTEND_MESSAGE_NAME_CLIP) {
        attend_message_bytes(message, name, length);
        return;
    }
    size_t cut = ATTEND_MESSAGE_NAME_CLIP;
    while (cut > 0 && ((unsigned char)name[cut] & 0xC0) == 0x80) cut--; /* not inside a character */
    attend_message_bytes(message, name, cut);
    attend_message_text(message, "...");
}

void attend_message_text(attend_message *message, const char *text) {
    if (!text) text = "(null)";
    attend_message_bytes(message, text, strlen(text));
}

static void message_vformat(attend_message *message, const char *format, va_list arguments) ATTEND_PRINTF(2, 0);

static void message_vformat(attend_message *message, const char *format, va_list arguments) {
    char buffer[ATTEND_ERROR_SIZE];
    int length = vsnprintf(buffer, sizeof buffer, format, arguments);
    if (length < 0) return;
    if ((size_t)length >= sizeof buffer) {
        attend_message_bytes(message, buffer, sizeof buffer - 1);
        put(message, buffer, MESSAGE_ROOM + 1); /* cannot fit: marks the message truncated */
        return;
    }
    attend_message_bytes(message, buffer, (size_t)length);
}

void attend_message_format(attend_message *message, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    message_vformat(message, format, arguments);
    va_end(arguments);
}

void attend_message_shape(attend_message *message, int rank, const int64_t *shape) {
    attend_message_text(message, "[");
    for (int k = 0; k < rank; k++) {
        char piece[32];
        snprintf(piece, sizeof piece, k ? ", %lld" : "%lld", (long long)shape[k]);
        attend_message_text(message, piece);
    }
    attend_message_text(message, "]");
}

int attend_fail(char *error, const char *format, ...) {
    attend_message message;
    attend_message_begin(&message, error);
    va_list arguments;
    va_start(arguments, format);
    message_vformat(&message, format, arguments);
    va_end(arguments);
    return 1;
}
