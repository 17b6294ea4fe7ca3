/*
 * The native byte path: csv-record-writer.ts in C, for the rows it can write exactly as that file
 * does. A row is a JSON text followed by a 0 byte (its LF, overwritten), and every scan stops at
 * a 0 byte, so no scan runs past the row. What the JS path writes through Number() (numbers not
 * in JSON.stringify's form) or JSON.parse with reordering (repeated or digit-first keys), and
 * whatever it declines, is declined here: the caller then hands the row to the JS paths.
 */
#ifndef SQUIDSHIP_CSV_RECORDS_H
#define SQUIDSHIP_CSV_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* json-row-transcoder.ts: deeper nested values go to JSON.parse (here: declined). */
#define CSV_MAX_CANONICAL_DEPTH 32
/* csv-record-writer.ts: objects with more keys go to JSON.parse (here: declined). */
#define CSV_MAX_LISTED_KEYS 64
/* Every object on the path from the field's value down lists its keys at once. */
#define CSV_MAX_KEY_SLOTS ((CSV_MAX_CANONICAL_DEPTH + 1) * CSV_MAX_LISTED_KEYS)
/*
 * Output room a row needs beyond its longest record (2 bytes per input byte, a comma per column
 * and CRLF): the plain-run copy stores 16 bytes at a time and may write past what it keeps.
 */
#define CSV_OUT_SLACK 64

typedef struct {
  uint32_t count;
  int no_line_breaks;
  /* Each column's UTF-8 name, NULL when no row key can match it in place (JSON escapes it). */
  const uint8_t **names;
  uint32_t *lengths;
  /* Open addressing over the names: column index + 1, 0 for an empty slot. */
  uint32_t *slots;
  uint32_t slot_mask;
} csv_columns;

/* One row's writing state; `key_starts`/`key_ends` list the keys of the open nested objects. */
typedef struct {
  const csv_columns *columns;
  /* The end of the batch: 16-byte loads stay below it. */
  const uint8_t *src_limit;
  uint8_t *out;
  int quote_field;
  /* Whether the nested value being copied differs from its JSON.stringify text (spaces, escapes). */
  int changed;
  /* Where a CR, written as a space under no_line_breaks, ended: its LF adds nothing. */
  uint8_t *cr_space_at;
  uint32_t key_count;
  const uint8_t *key_starts[CSV_MAX_KEY_SLOTS];
  const uint8_t *key_ends[CSV_MAX_KEY_SLOTS];
} csv_writer;

/* Fills columns->slots (zeroed, slot_mask + 1 of them, at least twice the names) from the names. */
void csv_index_columns(csv_columns *columns);

/* The column of `key[0, length)`, or -1. */
int64_t csv_find_column(const csv_columns *columns, const uint8_t *key, size_t length);

/*
 * Writes the record of the row `row` (ending at `end`, where a 0 byte is) at writer->out:
 * 1 when written (out moved past it), 0 when declined (out left anywhere past where it was).
 */
int csv_write_record(csv_writer *writer, const uint8_t *row, const uint8_t *end);

/* The nested value at `p` written as a field, in JSON.stringify's form; its end, or NULL. */
const uint8_t *csv_write_nested(csv_writer *writer, const uint8_t *p);

/* The end of the JSON number at `p` (*canonical: JSON.stringify writes it so), or NULL. */
const uint8_t *csv_scan_number(const uint8_t *p, int *canonical);

/* The literal `literal` (true, false, null) at `p` copied to out; its end, or NULL when it is not there. */
static inline const uint8_t *csv_copy_literal(csv_writer *writer, const uint8_t *p, const char *literal, size_t length) {
  for (size_t i = 0; i < length; i++) {
    if (p[i] != (uint8_t)literal[i]) return NULL;
  }
  memcpy(writer->out, literal, length);
  writer->out += length;
  return p + length;
}

/* The number at `p` copied to out when JSON.stringify writes it so; its end, or NULL (declined). */
static inline const uint8_t *csv_copy_number(csv_writer *writer, const uint8_t *p) {
  int canonical = 0;
  const uint8_t *end = csv_scan_number(p, &canonical);
  /* JSON.stringify's form of any other number needs the JS path's Number() and String(). */
  if (end == NULL || !canonical) return NULL;
  for (const uint8_t *q = p; q < end; q++) *writer->out++ = *q;
  return end;
}

/* The end of the value at `p` (not checked further), or NULL when the row ends first. */
const uint8_t *csv_skip_value(const uint8_t *p);

/* True when `bytes[0, length)` is well-formed UTF-8. */
int csv_is_utf8(const uint8_t *bytes, size_t length);

#endif
