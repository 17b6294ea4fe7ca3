/*
 * Numbers and skipped values: csv-record-writer.ts's scanNumber and skipValueBytes, step for step.
 * Both stop at the row's 0 byte, like every scan.
 */
#include <string.h>

#include "csv-records.h"

static inline int is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}

const uint8_t *csv_scan_number(const uint8_t *p, int *canonical) {
  const uint8_t *q = *p == '-' ? p + 1 : p;
  const uint8_t *int_start = q;
  if (*q == '0') q++;
  else while (is_digit(*q)) q++;
  size_t int_digits = (size_t)(q - int_start);
  if (int_digits == 0) return NULL;
  /* A decimal of up to 15 significant digits comes back from a double unchanged. */
  int plain = int_digits <= 15;
  if (*q == '.') {
    const uint8_t *frac_start = ++q;
    while (is_digit(*q)) q++;
    size_t frac_digits = (size_t)(q - frac_start);
    if (frac_digits == 0) return NULL;
    if (q[-1] == '0' || int_digits + frac_digits > 15) plain = 0;
    /* 0.000000x and smaller print in exponent form (ECMA-262 Number::toString). */
    if (*int_start == '0' && frac_digits > 6 && memcmp(frac_start, "000000", 6) == 0) plain = 0;
  } else if (int_digits == 1 && *int_start == '0' && int_start != p) {
    plain = 0; /* -0 */
  }
  if (*q == 'e' || *q == 'E') {
    plain = 0;
    q++;
    if (*q == '+' || *q == '-') q++;
    const uint8_t *exp_start = q;
    while (is_digit(*q)) q++;
    if (q == exp_start) return NULL;
  }
  *canonical = plain;
  return q;
}

static const uint8_t *skip_string(const uint8_t *p) {
  const uint8_t *q = p + 1;
  for (;;) {
    uint8_t c = *q;
    if (c == '"') return q + 1;
    if (c == 0) return NULL;
    q += c == '\\' && q[1] != 0 ? 2 : 1;
  }
}

const uint8_t *csv_skip_value(const uint8_t *p) {
  uint8_t first = *p;
  if (first == '"') return skip_string(p);
  const uint8_t *q = p;
  if (first != '{' && first != '[') {
    for (;;) {
      uint8_t c = *q;
      if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0) return q == p ? NULL : q;
      q++;
    }
  }
  int64_t depth = 0;
  for (;;) {
    uint8_t c = *q;
    if (c == '"') {
      q = skip_string(q);
      if (q == NULL) return NULL;
      continue;
    }
    if (c == '{' || c == '[') depth++;
    else if (c == '}' || c == ']') {
      if (--depth == 0) return q + 1;
    } else if (c == 0) return NULL;
    q++;
  }
}
