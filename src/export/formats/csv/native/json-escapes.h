/* JSON's \uXXXX escapes read, and code points written as UTF-8: shared by top-level and nested strings. */
#ifndef SQUIDSHIP_JSON_ESCAPES_H
#define SQUIDSHIP_JSON_ESCAPES_H

#include <stdint.h>

/* The 4 hex digits at `p` (either case), or -1; stops at the first other byte, so never passes the row's 0. */
static inline int32_t csv_read_hex4(const uint8_t *p) {
  int32_t value = 0;
  for (int i = 0; i < 4; i++) {
    uint8_t c = p[i];
    int32_t digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/* Writes `code` (0x80 or more, not a surrogate) as UTF-8 at `o`; the position after it. */
static inline uint8_t *csv_put_utf8(uint8_t *o, uint32_t code) {
  if (code < 0x800) {
    *o++ = (uint8_t)(0xc0 | (code >> 6));
  } else if (code < 0x10000) {
    *o++ = (uint8_t)(0xe0 | (code >> 12));
    *o++ = (uint8_t)(0x80 | ((code >> 6) & 0x3f));
  } else {
    *o++ = (uint8_t)(0xf0 | (code >> 18));
    *o++ = (uint8_t)(0x80 | ((code >> 12) & 0x3f));
    *o++ = (uint8_t)(0x80 | ((code >> 6) & 0x3f));
  }
  *o++ = (uint8_t)(0x80 | (code & 0x3f));
  return o;
}

#endif
