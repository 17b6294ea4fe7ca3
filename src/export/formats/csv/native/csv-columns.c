/*
 * Looking a row's key up among the columns, as csv-record-writer.ts's indexOfColumn does: by the
 * key's UTF-8 bytes, which equal a column's exactly when the key's text equals its name (for
 * well-formed UTF-8; read_column declines a key that is not).
 */
#include <string.h>

#include "csv-records.h"

/* FNV-1a: keys are short, and any spread will do for a table twice the columns' size. */
static uint32_t hash_key(const uint8_t *key, size_t length) {
  uint32_t hash = 2166136261u;
  for (size_t i = 0; i < length; i++) hash = (hash ^ key[i]) * 16777619u;
  return hash;
}

void csv_index_columns(csv_columns *columns) {
  for (uint32_t column = 0; column < columns->count; column++) {
    if (columns->names[column] == NULL) continue;
    uint32_t slot = hash_key(columns->names[column], columns->lengths[column]) & columns->slot_mask;
    while (columns->slots[slot] != 0) slot = (slot + 1) & columns->slot_mask;
    columns->slots[slot] = column + 1;
  }
}

int64_t csv_find_column(const csv_columns *columns, const uint8_t *key, size_t length) {
  uint32_t slot = hash_key(key, length) & columns->slot_mask;
  for (;;) {
    uint32_t entry = columns->slots[slot];
    if (entry == 0) return -1;
    uint32_t column = entry - 1;
    if (columns->lengths[column] == length && memcmp(columns->names[column], key, length) == 0) return column;
    slot = (slot + 1) & columns->slot_mask;
  }
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
int csv_is_utf8(const uint8_t *bytes, size_t length) {
  size_t i = 0;
  while (i < length) {
    /* Mostly ASCII: 8 bytes at a time while none has its high bit set. */
    uint64_t word;
    if (length - i >= 8 && (memcpy(&word, bytes + i, 8), (word & 0x8080808080808080ULL) == 0)) {
      i += 8;
      continue;
    }
    uint8_t c = bytes[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t extra;
    uint32_t code;
    uint32_t min;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      code = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      code = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      code = c & 0x07;
      min = 0x10000;
    } else {
      return 0;
    }
    if (length - i <= extra) return 0;
    for (size_t k = 1; k <= extra; k++) {
      uint8_t next = bytes[i + k];
      if ((next & 0xc0) != 0x80) return 0;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
    i += extra + 1;
  }
  return 1;
}
