/*
 * The Node-API face of the native byte path (loaded by native-csv-records.ts):
 *   createEncoder(names, noLineBreaks) -> an encoder object for one export's columns, where a
 *     name is null when a row key can never match it in place (JSON escapes it);
 *   encodeRows(encoder, texts, start, out, outStart, cursor) -> a STOP_* code, after appending
 *     the records of consecutive rows of `texts` (each ending in LF) from `start` to `out` from
 *     `outStart`, until the batch ends, a row is declined or `out` lacks room. cursor, a
 *     Float64Array(4), gets [where it stopped in texts, where in out, the declined row's end or
 *     the room the next row needs, the rows written].
 *   copyBytes(target, targetStart, source, sourceStart, sourceEnd) -> the bytes copied, as
 *     many of source[sourceStart, sourceEnd) as fit in target from targetStart: a memcpy, also
 *     into shared memory, where V8's own copy goes word by word.
 * One crossing per run of accepted rows. All state lives in the encoder object (nothing global
 * and mutable), so worker threads load the addon as the main thread does.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "csv-records.h"

enum { STOP_END = 0, STOP_DECLINED = 1, STOP_ROOM = 2 };

/* Checked by encodeRows, so that no other object is read as an encoder. */
static const napi_type_tag ENCODER_TAG = {0x7371756964736869ULL, 0x702d6373762d3031ULL};
/* Far more than any export: keeps the slot table's size arithmetic in 32 bits. */
#define MAX_COLUMNS (1u << 24)

typedef struct {
  csv_columns columns;
  uint8_t *name_bytes;
  csv_writer writer;
} encoder_state;

static void free_encoder(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  encoder_state *state = data;
  free(state->columns.names);
  free(state->columns.lengths);
  free(state->columns.slots);
  free(state->name_bytes);
  free(state);
}

/* Throws `message` unless a call already left an exception; NULL, for the caller to return. */
static napi_value fail(napi_env env, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* names[i] and its type; 0 on failure. */
static int read_name_element(napi_env env, napi_value names, uint32_t i, napi_value *name, napi_valuetype *type) {
  return napi_get_element(env, names, i, name) == napi_ok && napi_typeof(env, *name, type) == napi_ok;
}

/* The names' UTF-8 bytes, one block for all, and the lookup table; 0 on failure (thrown). */
static int read_names(napi_env env, napi_value names, encoder_state *state) {
  csv_columns *columns = &state->columns;
  size_t total = 0;
  for (uint32_t i = 0; i < columns->count; i++) {
    napi_value name;
    napi_valuetype type;
    size_t length = 0;
    if (!read_name_element(env, names, i, &name, &type)) return 0;
    if (type == napi_null) continue;
    if (type != napi_string || napi_get_value_string_utf8(env, name, NULL, 0, &length) != napi_ok) return 0;
    total += length + 1;
  }
  state->name_bytes = malloc(total + 1);
  if (state->name_bytes == NULL) return 0;
  uint8_t *at = state->name_bytes;
  for (uint32_t i = 0; i < columns->count; i++) {
    napi_value name;
    napi_valuetype type;
    size_t length = 0;
    if (!read_name_element(env, names, i, &name, &type)) return 0;
    if (type == napi_null) continue;
    if (napi_get_value_string_utf8(env, name, (char *)at, total + 1 - (size_t)(at - state->name_bytes), &length) != napi_ok) return 0;
    columns->names[i] = at;
    columns->lengths[i] = (uint32_t)length;
    at += length + 1;
  }
  csv_index_columns(columns);
  return 1;
}

static napi_value create_encoder(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool is_array = false;
  bool no_line_breaks = false;
  uint32_t count = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &count) != napi_ok || napi_get_value_bool(env, argv[1], &no_line_breaks) != napi_ok) {
    return fail(env, "createEncoder(names: Array<string | null>, noLineBreaks: boolean)");
  }
  if (count == 0 || count > MAX_COLUMNS) return fail(env, "createEncoder: between 1 and 2^24 columns");
  encoder_state *state = calloc(1, sizeof *state);
  if (state == NULL) return fail(env, "createEncoder: out of memory");
  csv_columns *columns = &state->columns;
  columns->count = count;
  columns->no_line_breaks = no_line_breaks;
  uint32_t slots = 8;
  while (slots < 2 * count) slots *= 2;
  columns->slot_mask = slots - 1;
  columns->names = calloc(count, sizeof *columns->names);
  columns->lengths = calloc(count, sizeof *columns->lengths);
  columns->slots = calloc(slots, sizeof *columns->slots);
  state->writer.columns = columns;
  napi_value encoder;
  if (columns->names == NULL || columns->lengths == NULL || columns->slots == NULL || !read_names(env, argv[0], state) ||
      napi_create_object(env, &encoder) != napi_ok) {
    free_encoder(env, state, NULL);
    return fail(env, "createEncoder: names must be strings or null");
  }
  if (napi_wrap(env, encoder, state, free_encoder, NULL, NULL) != napi_ok) {
    free_encoder(env, state, NULL);
    return fail(env, "createEncoder: cannot wrap the encoder");
  }
  if (napi_type_tag_object(env, encoder, &ENCODER_TAG) != napi_ok) return fail(env, "createEncoder: cannot tag the encoder");
  return encoder;
}

/* An offset argument: an integer in [0, max]; 0 on failure. */
static int read_offset(napi_env env, napi_value value, size_t max, size_t *offset) {
  double number = -1;
  if (napi_get_value_double(env, value, &number) != napi_ok || !(number >= 0) || number > (double)max || number != (double)(size_t)number) return 0;
  *offset = (size_t)number;
  return 1;
}

static napi_value encode_rows(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  bool tagged = false;
  encoder_state *state = NULL;
  uint8_t *texts = NULL;
  uint8_t *out = NULL;
  size_t texts_length = 0, out_length = 0, start = 0, w = 0;
  napi_typedarray_type cursor_type;
  size_t cursor_length = 0;
  void *cursor_data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 || napi_check_object_type_tag(env, argv[0], &ENCODER_TAG, &tagged) != napi_ok ||
      !tagged || napi_unwrap(env, argv[0], (void **)&state) != napi_ok || napi_get_buffer_info(env, argv[1], (void **)&texts, &texts_length) != napi_ok ||
      napi_get_buffer_info(env, argv[3], (void **)&out, &out_length) != napi_ok ||
      napi_get_typedarray_info(env, argv[5], &cursor_type, &cursor_length, &cursor_data, NULL, NULL) != napi_ok || cursor_type != napi_float64_array ||
      cursor_length < 4 || !read_offset(env, argv[2], texts_length, &start) || !read_offset(env, argv[4], out_length, &w)) {
    return fail(env, "encodeRows(encoder, texts: Buffer, start, out: Buffer, outStart, cursor: Float64Array(4))");
  }
  csv_writer *writer = &state->writer;
  writer->src_limit = texts + texts_length;
  /* The longest record a row can make: every byte a doubled quote, plus the commas and CRLF. */
  size_t fixed_room = (size_t)state->columns.count + 4 + CSV_OUT_SLACK;
  int32_t status = STOP_END;
  size_t stop_detail = 0;
  double rows = 0;
  while (start < texts_length) {
    uint8_t *lf = memchr(texts + start, '\n', texts_length - start);
    if (lf == NULL) {
      /* Not the store's form: the JS path declines it too, and says why. */
      status = STOP_DECLINED;
      stop_detail = texts_length;
      break;
    }
    size_t end = (size_t)(lf - texts);
    size_t need = 2 * (end - start) + fixed_room;
    if (out_length - w < need) {
      status = STOP_ROOM;
      stop_detail = need;
      break;
    }
    *lf = 0; /* the stop byte every scan ends at, as csv-batch-encoder.ts sets it */
    writer->out = out + w;
    if (!csv_write_record(writer, texts + start, lf)) {
      status = STOP_DECLINED;
      stop_detail = end;
      break;
    }
    w = (size_t)(writer->out - out);
    rows++;
    start = end + 1;
  }
  double *cursor = cursor_data;
  cursor[0] = (double)start;
  cursor[1] = (double)w;
  cursor[2] = (double)stop_detail;
  cursor[3] = rows;
  napi_value result;
  if (napi_create_int32(env, status, &result) != napi_ok) return fail(env, "encodeRows: cannot answer");
  return result;
}

/* A Uint8Array's bytes (on any ArrayBuffer, shared or not); 0 when it is not one (thrown). */
static int read_bytes(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is_typed_array = false;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array) return 0;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok || type != napi_uint8_array) return 0;
  *data = raw;
  return 1;
}

/* A whole number in [0, limit]; 0 when it is not one. */
static int read_index(napi_env env, napi_value value, size_t limit, size_t *index) {
  double number = -1;
  if (napi_get_value_double(env, value, &number) != napi_ok) return 0;
  if (!(number >= 0 && number <= (double)limit) || number != (double)(size_t)number) return 0;
  *index = (size_t)number;
  return 1;
}

static napi_value copy_bytes(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) return fail(env, "copyBytes: expected 5 arguments");
  uint8_t *target = NULL, *source = NULL;
  size_t target_length = 0, source_length = 0, target_start = 0, source_start = 0, source_end = 0;
  if (!read_bytes(env, argv[0], &target, &target_length) || !read_bytes(env, argv[2], &source, &source_length)) {
    return fail(env, "copyBytes: target and source must be Uint8Arrays");
  }
  if (!read_index(env, argv[1], target_length, &target_start) || !read_index(env, argv[4], source_length, &source_end) ||
      !read_index(env, argv[3], source_end, &source_start)) {
    return fail(env, "copyBytes: a start or end is out of range");
  }
  size_t count = source_end - source_start;
  if (count > target_length - target_start) count = target_length - target_start;
  if (count > 0) memcpy(target + target_start, source + source_start, count);
  napi_value result;
  if (napi_create_double(env, (double)count, &result) != napi_ok) return fail(env, "copyBytes: cannot answer");
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
    {"createEncoder", NULL, create_encoder, NULL, NULL, NULL, napi_enumerable, NULL},
    {"encodeRows", NULL, encode_rows, NULL, NULL, NULL, napi_enumerable, NULL},
    {"copyBytes", NULL, copy_bytes, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, 3, properties) != napi_ok) return NULL;
  return exports;
}
