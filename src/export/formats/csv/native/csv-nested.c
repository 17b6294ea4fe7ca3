/*
 * Nested values: csv-record-writer.ts's writeNested, which copies a value already in
 * JSON.stringify's form and writes any other through JSON.parse and JSON.stringify. Here both
 * are one pass, which drops whitespace and rewrites escapes as JSON.stringify writes them. What
 * else JSON.parse would change (numbers in another form, repeated or digit-first keys, values
 * deeper than the JS copy goes) is declined.
 */
#include "csv-records.h"
#include "json-escapes.h"
#include "plain-run.h"

static inline int is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}

/* The length of the escape at `p` when JSON.stringify writes it so, else 0. */
static size_t canonical_escape_length(const uint8_t *p) {
  uint8_t e = p[1];
  if (e == '"' || e == '\\' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') return 2;
  if (e != 'u' || p[2] != '0' || p[3] != '0') return 0;
  /* \u00XX in lower case, for a control character without a short escape. */
  uint8_t high = p[4];
  if (high != '0' && high != '1') return 0;
  uint8_t low = p[5];
  int low_value = is_digit(low) ? low - '0' : low >= 'a' && low <= 'f' ? low - 'a' + 10 : -1;
  if (low_value < 0) return 0;
  int unit = (high == '0' ? 0 : 16) + low_value;
  return unit == 8 || unit == 9 || unit == 10 || unit == 12 || unit == 13 ? 0 : 6;
}

static uint8_t *put_unicode_escape(uint8_t *o, uint32_t unit) {
  static const char hex[] = "0123456789abcdef";
  o[0] = '\\';
  o[1] = 'u';
  for (int i = 0; i < 4; i++) o[2 + i] = (uint8_t)hex[(unit >> (12 - 4 * i)) & 0xf];
  return o + 6;
}

/*
 * Writes at *out_at the escape at `p` (one JSON.stringify does not write) as JSON.stringify
 * writes its character: `\/` as `/`, \uXXXX as the character in UTF-8, except `"` and `\`
 * (escaped), control characters (short escape or \u00xx) and lone surrogates (\udxxx, lower
 * case). The position after it, or NULL.
 */
static const uint8_t *write_stringify_escape(const uint8_t *p, uint8_t **out_at) {
  uint8_t *o = *out_at;
  if (p[1] == '/') {
    *out_at = o + 1;
    *o = '/';
    return p + 2;
  }
  if (p[1] != 'u') return NULL;
  int32_t unit = csv_read_hex4(p + 2);
  if (unit < 0) return NULL;
  const uint8_t *next = p + 6;
  if (unit >= 0xd800 && unit <= 0xdbff && p[6] == '\\' && p[7] == 'u') {
    int32_t low = csv_read_hex4(p + 8);
    if (low >= 0xdc00 && low <= 0xdfff) {
      *out_at = csv_put_utf8(o, 0x10000 + (((uint32_t)unit - 0xd800) << 10) + ((uint32_t)low - 0xdc00));
      return p + 12;
    }
  }
  if (unit >= 0xd800 && unit <= 0xdfff) {
    o = put_unicode_escape(o, (uint32_t)unit);
  } else if (unit == '"') {
    o[0] = '\\';
    o[1] = '"';
    o[2] = '"'; /* and doubled, for CSV */
    o += 3;
  } else if (unit == '\\') {
    o[0] = '\\';
    o[1] = '\\';
    o += 2;
  } else if (unit < 0x20) {
    static const char short_escapes[32] = {[8] = 'b', [9] = 't', [10] = 'n', [12] = 'f', [13] = 'r'};
    if (short_escapes[unit] != 0) {
      o[0] = '\\';
      o[1] = (uint8_t)short_escapes[unit];
      o += 2;
    } else {
      o = put_unicode_escape(o, (uint32_t)unit);
    }
  } else if (unit < 0x80) {
    *o++ = (uint8_t)unit;
  } else {
    o = csv_put_utf8(o, (uint32_t)unit);
  }
  *out_at = o;
  return next;
}

static const uint8_t *copy_canonical(csv_writer *writer, const uint8_t *p, int depth);

/* A string as JSON.stringify writes it, `"` doubled for CSV: copied, its escapes rewritten when needed. */
static const uint8_t *copy_canonical_string(csv_writer *writer, const uint8_t *p) {
  uint8_t *o = writer->out;
  o[0] = '"';
  o[1] = '"';
  o += 2;
  writer->quote_field = 1;
  const uint8_t *q = p + 1;
  for (;;) {
    q = csv_copy_plain_run(q, writer->src_limit, &o, 0);
    uint8_t c = *q;
    if (c == '"') break;
    if (c != '\\') return NULL; /* a control character, or the end of the row */
    size_t length = canonical_escape_length(q);
    if (length == 0) {
      writer->changed = 1;
      q = write_stringify_escape(q, &o);
      if (q == NULL) return NULL;
    } else if (q[1] == '"') {
      o[0] = '\\';
      o[1] = '"';
      o[2] = '"';
      o += 3;
      q += 2;
    } else {
      memcpy(o, q, length);
      o += length;
      q += length;
    }
  }
  o[0] = '"';
  o[1] = '"';
  writer->out = o + 2;
  return q + 1;
}

/* Whitespace between tokens, which JSON.stringify does not write. */
static inline const uint8_t *skip_nested_space(csv_writer *writer, const uint8_t *p) {
  if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return p;
  writer->changed = 1;
  do p++;
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n');
  return p;
}

static const uint8_t *copy_canonical_array(csv_writer *writer, const uint8_t *p, int depth) {
  *writer->out++ = '[';
  const uint8_t *q = skip_nested_space(writer, p + 1);
  if (*q != ']') {
    for (;;) {
      q = copy_canonical(writer, q, depth + 1);
      if (q == NULL) return NULL;
      q = skip_nested_space(writer, q);
      if (*q == ']') break;
      if (*q != ',') return NULL;
      *writer->out++ = ',';
      writer->quote_field = 1;
      q = skip_nested_space(writer, q + 1);
    }
  }
  *writer->out++ = ']';
  return q + 1;
}

/* True when the key out[start, end) repeats one of this object's keys (or there are too many to list). */
static int is_listed_key(const csv_writer *writer, uint32_t first_key, const uint8_t *start, const uint8_t *end) {
  if (writer->key_count - first_key >= CSV_MAX_LISTED_KEYS) return 1;
  size_t length = (size_t)(end - start);
  for (uint32_t k = first_key; k < writer->key_count; k++) {
    if ((size_t)(writer->key_ends[k] - writer->key_starts[k]) == length && memcmp(writer->key_starts[k], start, length) == 0) return 1;
  }
  return 0;
}

static const uint8_t *copy_canonical_object(csv_writer *writer, const uint8_t *p, int depth) {
  *writer->out++ = '{';
  const uint8_t *q = skip_nested_space(writer, p + 1);
  uint32_t first_key = writer->key_count;
  if (*q != '}') {
    for (;;) {
      if (*q != '"') return NULL;
      /* Keys are compared as written (one text per string), after their opening `""`. */
      const uint8_t *key = writer->out;
      q = copy_canonical_string(writer, q);
      /* JSON.parse moves array-index keys first: leave digit-first keys to it. */
      if (q == NULL || is_digit(key[2]) || is_listed_key(writer, first_key, key, writer->out)) return NULL;
      writer->key_starts[writer->key_count] = key;
      writer->key_ends[writer->key_count++] = writer->out;
      q = skip_nested_space(writer, q);
      if (*q != ':') return NULL;
      *writer->out++ = ':';
      q = copy_canonical(writer, skip_nested_space(writer, q + 1), depth + 1);
      if (q == NULL) return NULL;
      q = skip_nested_space(writer, q);
      if (*q == '}') break;
      if (*q != ',') return NULL;
      *writer->out++ = ',';
      q = skip_nested_space(writer, q + 1);
    }
  }
  writer->key_count = first_key;
  *writer->out++ = '}';
  return q + 1;
}

/* Copies the value at `p` as JSON.stringify(JSON.parse(value)) writes it, doubling `"`; its end, or NULL. */
static const uint8_t *copy_canonical(csv_writer *writer, const uint8_t *p, int depth) {
  switch (*p) {
    case '"': return copy_canonical_string(writer, p);
    case '[': return depth >= CSV_MAX_CANONICAL_DEPTH ? NULL : copy_canonical_array(writer, p, depth);
    case '{': return depth >= CSV_MAX_CANONICAL_DEPTH ? NULL : copy_canonical_object(writer, p, depth);
    case 't': return csv_copy_literal(writer, p, "true", 4);
    case 'f': return csv_copy_literal(writer, p, "false", 5);
    case 'n': return csv_copy_literal(writer, p, "null", 4);
    default: break;
  }
  return csv_copy_number(writer, p);
}

const uint8_t *csv_write_nested(csv_writer *writer, const uint8_t *p) {
  uint8_t *field = writer->out;
  writer->out++; /* room for the opening quote */
  writer->quote_field = 0;
  writer->key_count = 0;
  writer->changed = 0;
  const uint8_t *end = copy_canonical(writer, p, 0);
  if (end == NULL) return NULL;
  /*
   * A value not in JSON.stringify's form: the JS path writes JSON.stringify(JSON.parse(text)),
   * of the bytes decoded as UTF-8, where a broken sequence becomes U+FFFD; this copy keeps bytes.
   */
  if (writer->changed && !csv_is_utf8(p, (size_t)(end - p))) return NULL;
  if (writer->quote_field) {
    field[0] = '"';
    *writer->out++ = '"';
  } else {
    memmove(field, field + 1, (size_t)(writer->out - field - 1));
    writer->out--;
  }
  return end;
}
