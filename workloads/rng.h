/*
 * rng.h -- the workloads' PRNG: xoshiro256** seeded by splitmix64.  Same
 * seed, same sequence, on every platform.
 */
#ifndef GC_RNG_H
#define GC_RNG_H

#include <stdint.h>

typedef struct wl_rng {
  uint64_t s[4];
} wl_rng;

static inline uint64_t wl_splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline void wl_rng_seed(wl_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = wl_splitmix64(&seed);
}

static inline uint64_t wl_rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

static inline uint64_t wl_rng_next(wl_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = wl_rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = wl_rotl(s[3], 45);
  return result;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64). */
static inline uint64_t wl_rng_below(wl_rng *r, uint64_t n) {
  return (uint64_t)(((unsigned __int128)wl_rng_next(r) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double wl_rng_unit(wl_rng *r) {
  return (double)(wl_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
