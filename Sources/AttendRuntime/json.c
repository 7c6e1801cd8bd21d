/* The strict pull parser for untrusted JSON (see attend_json.h). */
#include "attend_json.h"

#include <stdlib.h>
#include <string.h>

void json_begin(json_parser *parser, const void *text, size_t length) {
    memset(parser, 0, sizeof *parser);
    parser->text = text;
    parser->length = length;
}

void json_end(json_parser *parser) {
    free(parser->string);
    parser->string = NULL;
    parser->string_length = parser->string_capacity = 0;
}

int json_fail(json_parser *parser, const char *reason) {
    if (!parser->reason) {
        parser->reason = reason;
        parser->error_position = parser->position;
    }
    return 0;
}

static int current(const json_parser *parser) {
    return parser->position < parser->length ? parser->text[parser->position] : -1;
}

int json_peek(json_parser *parser) {
    while (parser->position < parser->length) {
        unsigned char c = parser->text[parser->position];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        parser->position++;
    }
    return current(parser);
}

int json_expect(json_parser *parser, char c, const char *reason) {
    if (json_peek(parser) != (unsigned char)c) return json_fail(parser, reason);
    parser->position++;
    return 1;
}

int json_at_end(json_parser *parser) {
    if (json_peek(parser) != -1) return json_fail(parser, "unexpected text after the JSON value");
    return 1;
}

static int append(json_parser *parser, const unsigned char *bytes, size_t count) {
    if (parser->string_capacity - parser->string_length <= count) {
        size_t capacity = parser->string_capacity ? parser->string_capacity : 64;
        while (capacity - parser->string_length <= count) {
            if (capacity > SIZE_MAX / 2) return json_fail(parser, "string too long");
            capacity *= 2;
        }
        char *grown = realloc(parser->string, capacity);
        if (!grown) return json_fail(parser, "out of memory reading a string");
        parser->string = grown;
        parser->string_capacity = capacity;
    }
    memcpy(parser->string + parser->string_length, bytes, count);
    parser->string_length += count;
    parser->string[parser->string_length] = '\0';
    return 1;
}

static int append_code_point(json_parser *parser, uint32_t code) {
    unsigned char bytes[4];
    size_t count;
    if (code < 0x80) { bytes[0] = (unsigned char)code; count = 1; }
    else if (code < 0x800) { bytes[0] = (unsigned char)(0xC0 | code >> 6); bytes[1] = (unsigned char)(0x80 | (code & 0x3F)); count = 2; }
    else if (code < 0x10000) {
        bytes[0] = (unsigned char)(0xE0 | code >> 12); bytes[1] = (unsigned char)(0x80 | (code >> 6 & 0x3F));
        bytes[2] = (unsigned char)(0x80 | (code & 0x3F)); count = 3;
    } else {
        bytes[0] = (unsigned char)(0xF0 | code >> 18); bytes[1] = (unsigned char)(0x80 | (code >> 12 & 0x3F));
        bytes[2] = (unsigned char)(0x80 | (code >> 6 & 0x3F)); bytes[3] = (unsigned char)(0x80 | (code & 0x3F)); count = 4;
    }
    return append(parser, bytes, count);
}

static int hex4(json_parser *parser, uint32_t *value) {
    *value = 0;
    for (int k = 0; k < 4; k++) {
        int c = current(parser);
        uint32_t digit;
        if (c >= '0' && c <= '9') digit = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') digit = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') digit = (uint32_t)(c - 'A' + 10);
        else return json_fail(parser, "invalid \\u escape");
        *value = *value << 4 | digit;
        parser->position++;
    }
    return 1;
}

/* A raw (unescaped) UTF-8 sequence starting at the current byte, which is >= 0x80. */
static int utf8_sequence(json_parser *parser) {
    const unsigned char *s = parser->text + parser->position;
    size_t available = parser->length - parser->position, count;
    uint32_t code, minimum;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) { count = 2; code = s[0] & 0x1Fu; minimum = 0x80; }
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) { count = 3; code = s[0] & 0x0Fu; minimum = 0x800; }
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) { count = 4; code = s[0] & 0x07u; minimum = 0x10000; }
    else return json_fail(parser, "invalid UTF-8 in a string");
    if (count > available) return json_fail(parser, "invalid UTF-8 in a string");
    for (size_t k = 1; k < count; k++) {
        if ((s[k] & 0xC0) != 0x80) return json_fail(parser, "invalid UTF-8 in a string");
        code = code << 6 | (s[k] & 0x3Fu);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return json_fail(parser, "invalid UTF-8 in a string");
    if (!append(parser, s, count)) return 0;
    parser->position += count;
    return 1;
}

static int escape(json_parser *parser) {
    int c = current(parser);
    if (c < 0) return json_fail(parser, "unterminated string");
    parser->position++;
    unsigned char byte;
    switch (c) {
    case '"': case '\\': case '/': byte = (unsigned char)c; break;
    case 'b': byte = '\b'; break;
    case 'f': byte = '\f'; break;
    case 'n': byte = '\n'; break;
    case 'r': byte = '\r'; break;
    case 't': byte = '\t'; break;
    case 'u': {
        uint32_t code, low;
        if (!hex4(parser, &code)) return 0;
        if (code >= 0xDC00 && code <= 0xDFFF) return json_fail(parser, "invalid \\u escape (unpaired surrogate)");
        if (code >= 0xD800 && code <= 0xDBFF) {
            if (current(parser) != '\\' || parser->position + 1 >= parser->length || parser->text[parser->position + 1] != 'u') {
                return json_fail(parser, "invalid \\u escape (unpaired surrogate)");
            }
            parser->position += 2;
            if (!hex4(parser, &low)) return 0;
            if (low < 0xDC00 || low > 0xDFFF) return json_fail(parser, "invalid \\u escape (unpaired surrogate)");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        return append_code_point(parser, code);
    }
    default:
        parser->position--;
        return json_fail(parser, "invalid escape in a string");
    }
    return append(parser, &byte, 1);
}

int json_string(json_parser *parser) {
    if (json_peek(parser) != '"') return json_fail(parser, "expected a string");
    parser->position++;
    parser->string_length = 0;
    if (!append(parser, (const unsigned char *)"", 0)) return 0;
    for (;;) {
        int c = current(parser);
        if (c < 0) return json_fail(parser, "unterminated string");
        if (c == '"') { parser->position++; return 1; }
        if (c < 0x20) return json_fail(parser, "control character in a string");
        if (c == '\\') {
            parser->position++;
            if (!escape(parser)) return 0;
        } else if (c >= 0x80) {
            if (!utf8_sequence(parser)) return 0;
        } else {
            /* A run of plain ASCII at once. */
            size_t run = parser->position;
            while (run < parser->length && parser->text[run] >= 0x20 && parser->text[run] < 0x80 && parser->text[run] != '"' && parser->text[run] != '\\') run++;
            if (!append(parser, parser->text + parser->position, run - parser->position)) return 0;
            parser->position = run;
        }
    }
}

static size_t skip_digits(json_parser *parser) {
    size_t count = 0;
    while (current(parser) >= '0' && current(parser) <= '9') { parser->position++; count++; }
    return count;
}

int json_number(json_parser *parser, size_t *start, size_t *length) {
    json_peek(parser);
    *start = parser->position;
    if (current(parser) == '-') parser->position++;
    if (current(parser) == '0') parser->position++;
    else if (skip_digits(parser) == 0) return json_fail(parser, "invalid number");
    if (current(parser) == '.') {
        parser->position++;
        if (skip_digits(parser) == 0) return json_fail(parser, "invalid number");
    }
    if (current(parser) == 'e' || current(parser) == 'E') {
        parser->position++;
        if (current(parser) == '+' || current(parser) == '-') parser->position++;
        if (skip_digits(parser) == 0) return json_fail(parser, "invalid number");
    }
    *length = parser->position - *start;
    return 1;
}

static int literal(json_parser *parser, const char *word) {
    size_t n = strlen(word);
    if (parser->length - parser->position < n || memcmp(parser->text + parser->position, word, n) != 0) {
        return json_fail(parser, "invalid literal");
    }
    parser->position += n;
    return 1;
}

int json_empty(json_parser *parser, char close) {
    if (json_peek(parser) != (unsigned char)close) return 0;
    parser->position++;
    return 1;
}

int json_more(json_parser *parser, char close) {
    int c = json_peek(parser);
    if (c == ',') { parser->position++; return 1; }
    if (c == (unsigned char)close) { parser->position++; return 0; }
    json_fail(parser, close == '}' ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array");
    return -1;
}

int json_skip(json_parser *parser, int depth) {
    if (depth >= JSON_MAX_DEPTH) return json_fail(parser, "nesting too deep");
    int c = json_peek(parser);
    size_t start, length;
    switch (c) {
    case '"': return json_string(parser);
    case 't': return literal(parser, "true");
    case 'f': return literal(parser, "false");
    case 'n': return literal(parser, "null");
    case '{': {
        parser->position++;
        if (json_empty(parser, '}')) return 1;
        int more;
        do {
            if (!json_string(parser) || !json_expect(parser, ':', "expected ':' after a key") || !json_skip(parser, depth + 1)) return 0;
            more = json_more(parser, '}');
        } while (more == 1);
        return more == 0;
    }
    case '[': {
        parser->position++;
        if (json_empty(parser, ']')) return 1;
        int more;
        do {
            if (!json_skip(parser, depth + 1)) return 0;
            more = json_more(parser, ']');
        } while (more == 1);
        return more == 0;
    }
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return json_number(parser, &start, &length);
        return json_fail(parser, c < 0 ? "unexpected end of input" : "unexpected character");
    }
}

json_integer_status json_integer(const char *text, size_t length, uint64_t *value) {
    *value = 0;
    size_t k = 0;
    int negative = length > 0 && text[0] == '-';
    if (negative) k = 1;
    for (size_t j = k; j < length; j++) {
        if (text[j] < '0' || text[j] > '9') return JSON_INTEGER_FRACTIONAL;
    }
    if (negative) {
        for (size_t j = 1; j < length; j++) {
            if (text[j] != '0') return JSON_INTEGER_NEGATIVE;
        }
        return JSON_INTEGER_OK; /* -0 */
    }
    uint64_t result = 0;
    for (; k < length; k++) {
        uint64_t digit = (uint64_t)(text[k] - '0');
        if (result > ((uint64_t)INT64_MAX - digit) / 10) return JSON_INTEGER_TOO_LARGE;
        result = result * 10 + digit;
    }
    *value = result;
    return JSON_INTEGER_OK;
}
