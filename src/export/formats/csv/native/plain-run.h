/*
 * The copy that runs once per byte of most fields: string bytes up to the first byte that ends
 * a plain run (a control character, which includes the row's 0 stop byte, `"`, `\`, and for
 * a top-level string `,`, which makes the field quoted). 16 bytes at a time with SSE2 (every
 * x86-64 has it), 8 at a time elsewhere; the last bytes of a batch one by one, so no load
 * passes its end. Stores may run up to 16 bytes past what they keep (CSV_OUT_SLACK).
 */
#ifndef SQUIDSHIP_PLAIN_RUN_H
#define SQUIDSHIP_PLAIN_RUN_H

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(SQUIDSHIP_CSV_NO_SIMD)
#include <emmintrin.h>
#define CSV_PLAIN_RUN_SSE2 1
#endif

static inline int csv_is_plain_stop(uint8_t c, int commas) {
  return c < 0x20 || c == '"' || c == '\\' || (commas && c == ',');
}

#ifdef CSV_PLAIN_RUN_SSE2
static inline const uint8_t *csv_copy_plain_run(const uint8_t *p, const uint8_t *limit, uint8_t **out_at, int commas) {
  uint8_t *o = *out_at;
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i control = _mm_set1_epi8(0x1f);
  while (limit - p >= 16) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)p);
    __m128i stops = _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash));
    /* Unsigned bytes <= 0x1f: the minimum with 0x1f is the byte itself. */
    stops = _mm_or_si128(stops, _mm_cmpeq_epi8(_mm_min_epu8(bytes, control), bytes));
    if (commas) stops = _mm_or_si128(stops, _mm_cmpeq_epi8(bytes, comma));
    _mm_storeu_si128((__m128i *)o, bytes);
    unsigned mask = (unsigned)_mm_movemask_epi8(stops);
    if (mask != 0) {
      unsigned kept = (unsigned)__builtin_ctz(mask);
      *out_at = o + kept;
      return p + kept;
    }
    p += 16;
    o += 16;
  }
  while (!csv_is_plain_stop(*p, commas)) *o++ = *p++;
  *out_at = o;
  return p;
}
#else
#define CSV_ONES 0x0101010101010101ULL
#define CSV_HIGHS 0x8080808080808080ULL
/* Nonzero when a byte of `word` is below `n` (n <= 128); never a false alarm for the whole word. */
#define CSV_HAS_LESS(word, n) (((word) - CSV_ONES * (n)) & ~(word) & CSV_HIGHS)
#define CSV_HAS_BYTE(word, c) CSV_HAS_LESS((word) ^ (CSV_ONES * (c)), 1)

static inline const uint8_t *csv_copy_plain_run(const uint8_t *p, const uint8_t *limit, uint8_t **out_at, int commas) {
  uint8_t *o = *out_at;
  while (limit - p >= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    uint64_t stops = CSV_HAS_LESS(word, 0x20) | CSV_HAS_BYTE(word, '"') | CSV_HAS_BYTE(word, '\\');
    if (commas) stops |= CSV_HAS_BYTE(word, ',');
    if (stops != 0) break; /* the stop is in this word: found below, byte by byte */
    memcpy(o, &word, 8);
    p += 8;
    o += 8;
  }
  while (!csv_is_plain_stop(*p, commas)) *o++ = *p++;
  *out_at = o;
  return p;
}
#endif

#endif
