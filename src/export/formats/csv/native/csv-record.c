/*
 * One row's record: csv-record-writer.ts's writeRecord, readColumn, writeValue, writeString and
 * writeEscape, step for step, so that every record written here has the JS path's bytes.
 */
#include "csv-records.h"
#include "json-escapes.h"
#include "plain-run.h"

/* How many columns from the expected one a key is compared with in place, before a lookup. */
#define GUESSED_COLUMNS 4
#define DECLINE_ROW (-2)

static inline const uint8_t *skip_space(const uint8_t *p) {
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
  return p;
}

/* memcmp for keys, which are short: a library call per key costs more than the compare. */
static inline int same_bytes(const uint8_t *a, const uint8_t *b, size_t length) {
  while (length >= 8) {
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    if (x != y) return 0;
    a += 8;
    b += 8;
    length -= 8;
  }
  while (length > 0) {
    if (*a++ != *b++) return 0;
    length--;
  }
  return 1;
}

/* The column of the key at `p` (its end in *key_end): -1 when none, DECLINE_ROW to decline. */
static int64_t read_column(const csv_columns *columns, const uint8_t *p, const uint8_t *end, uint32_t guess, const uint8_t **key_end) {
  if (*p != '"') return DECLINE_ROW;
  const uint8_t *key = p + 1;
  /* Rows mostly list their keys in column order, some leaving a few out. */
  for (uint32_t column = guess; column < columns->count && column < guess + GUESSED_COLUMNS; column++) {
    const uint8_t *name = columns->names[column];
    size_t length = columns->lengths[column];
    if (name != NULL && (size_t)(end - key) > length && key[length] == '"' && same_bytes(key, name, length)) {
      *key_end = key + length + 1;
      return column;
    }
  }
  const uint8_t *q = key;
  uint8_t high = 0;
  for (;;) {
    uint8_t c = *q;
    if (c == '"') break;
    if (c == '\\' || c < 0x20) return DECLINE_ROW;
    high |= c;
    q++;
  }
  *key_end = q + 1;
  int64_t column = csv_find_column(columns, key, (size_t)(q - key));
  /* The JS path looks the key up as decoded text, where broken UTF-8 reads as U+FFFD. */
  if (column == -1 && (high & 0x80) != 0 && !csv_is_utf8(key, (size_t)(q - key))) return DECLINE_ROW;
  return column;
}

/* One character from an escape, with CSV's quoting and the no_line_breaks rule. */
static inline void write_unit(csv_writer *writer, uint8_t unit) {
  if (unit == '"') {
    writer->out[0] = '"';
    writer->out[1] = '"';
    writer->out += 2;
    writer->quote_field = 1;
  } else if ((unit == '\n' || unit == '\r') && writer->columns->no_line_breaks) {
    /* CRLF becomes one space, as csv-encoder.ts's LINE_BREAKS does. */
    if (unit == '\n' && writer->cr_space_at == writer->out) {
      writer->cr_space_at = NULL;
      return;
    }
    *writer->out++ = ' ';
    if (unit == '\r') writer->cr_space_at = writer->out;
  } else {
    if (unit == '\n' || unit == '\r' || unit == ',') writer->quote_field = 1;
    *writer->out++ = unit;
  }
}

static void write_code_point(csv_writer *writer, uint32_t code) {
  if (code < 0x80) write_unit(writer, (uint8_t)code);
  else writer->out = csv_put_utf8(writer->out, code);
}

/* Writes the character of the escape at `p`; the position after it, or NULL. */
static const uint8_t *write_escape(csv_writer *writer, const uint8_t *p) {
  switch (p[1]) {
    case '"': write_unit(writer, '"'); return p + 2;
    case '\\': *writer->out++ = '\\'; return p + 2;
    case '/': *writer->out++ = '/'; return p + 2;
    case 'b': *writer->out++ = 8; return p + 2;
    case 'f': *writer->out++ = 12; return p + 2;
    case 't': *writer->out++ = '\t'; return p + 2;
    case 'n': write_unit(writer, '\n'); return p + 2;
    case 'r': write_unit(writer, '\r'); return p + 2;
    case 'u': break;
    default: return NULL;
  }
  int32_t unit = csv_read_hex4(p + 2);
  if (unit < 0) return NULL;
  if (unit >= 0xd800 && unit <= 0xdbff && p[6] == '\\' && p[7] == 'u') {
    int32_t low = csv_read_hex4(p + 8);
    if (low >= 0xdc00 && low <= 0xdfff) {
      write_code_point(writer, 0x10000 + (((uint32_t)unit - 0xd800) << 10) + ((uint32_t)low - 0xdc00));
      return p + 12;
    }
  }
  /* A lone surrogate: JSON.parse keeps it, and UTF-8 writes it as U+FFFD. */
  write_code_point(writer, unit >= 0xd800 && unit <= 0xdfff ? 0xfffd : (uint32_t)unit);
  return p + 6;
}

static const uint8_t *write_string(csv_writer *writer, const uint8_t *p) {
  uint8_t *field = writer->out;
  writer->quote_field = 0;
  writer->cr_space_at = NULL;
  const uint8_t *q = p + 1;
  for (;;) {
    q = csv_copy_plain_run(q, writer->src_limit, &writer->out, 1);
    uint8_t c = *q;
    if (c == '"') break;
    if (c == '\\') {
      q = write_escape(writer, q);
      if (q == NULL) return NULL;
      continue;
    }
    if (c != ',') return NULL; /* a control character, or the end of the row */
    writer->quote_field = 1;
    *writer->out++ = ',';
    q++;
  }
  uint8_t *end = writer->out;
  if (end > field && (writer->quote_field || field[0] == ' ' || end[-1] == ' ')) {
    memmove(field + 1, field, (size_t)(end - field));
    field[0] = '"';
    end[1] = '"';
    writer->out = end + 2;
  }
  return q + 1;
}

static const uint8_t *write_value(csv_writer *writer, const uint8_t *p) {
  switch (*p) {
    case '"': return write_string(writer, p);
    case '{':
    case '[': return csv_write_nested(writer, p);
    case 't': return csv_copy_literal(writer, p, "true", 4);
    case 'f': return csv_copy_literal(writer, p, "false", 5);
    case 'n': return p[0] == 'n' && p[1] == 'u' && p[2] == 'l' && p[3] == 'l' ? p + 4 : NULL;
    default: break;
  }
  return csv_copy_number(writer, p);
}

int csv_write_record(csv_writer *writer, const uint8_t *row, const uint8_t *end) {
  const csv_columns *columns = writer->columns;
  if (*row != '{') return 0;
  const uint8_t *p = skip_space(row + 1);
  uint32_t commas = 0;
  uint32_t next = 0; /* the lowest column the next key may fill */
  if (*p != '}') {
    for (;;) {
      const uint8_t *key_end = NULL;
      int64_t column = read_column(columns, p, end, next, &key_end);
      if (column == DECLINE_ROW) return 0;
      p = skip_space(key_end);
      if (*p != ':') return 0;
      p = skip_space(p + 1);
      if (column == -1) {
        p = csv_skip_value(p);
      } else {
        /* A repeated key (JSON.parse keeps the last) or one out of column order. */
        if (column < (int64_t)next) return 0;
        memset(writer->out, ',', (uint32_t)column - commas);
        writer->out += (uint32_t)column - commas;
        commas = (uint32_t)column;
        next = (uint32_t)column + 1;
        p = write_value(writer, p);
      }
      if (p == NULL) return 0;
      p = skip_space(p);
      if (*p == '}') break;
      if (*p != ',') return 0;
      p = skip_space(p + 1);
    }
  }
  if (skip_space(p + 1) != end) return 0;
  memset(writer->out, ',', columns->count - 1 - commas);
  writer->out += columns->count - 1 - commas;
  writer->out[0] = '\r';
  writer->out[1] = '\n';
  writer->out += 2;
  return 1;
}
