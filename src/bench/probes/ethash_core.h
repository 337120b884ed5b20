/*
 * ethash_core.h: the Ethash algorithm written once, as device code shared by
 * the OpenCL kernels (kernels.cl), the CUDA kernels (gpu_probe.cu) and the
 * host's C reference (probe_host.h builds the light cache with it).
 *
 * Legacy Keccak (padding byte 0x01, not SHA-3's 0x06), FNV, 32-bit
 * little-endian words. Data is an array of 64-byte nodes (16 words): the light
 * cache in light mode, the full dataset (DAG) in full mode.
 */
#ifndef SONM_ETHASH_CORE_H
#define SONM_ETHASH_CORE_H

#include "device_compat.h"

#define ETHASH_WORD_BYTES 4
#define ETHASH_HASH_WORDS 16
#define ETHASH_MIX_WORDS 32
#define ETHASH_DATASET_PARENTS 256
#define ETHASH_ACCESSES 64
#define ETHASH_FNV_PRIME 0x01000193u

DEV_FN u32 ethash_fnv(u32 a, u32 b) { return (a * ETHASH_FNV_PRIME) ^ b; }

/* Keccak-f[1600] on 25 lanes, in place. */
DEV_FN void keccak_f1600(u64 st[25]) {
  const u64 rc[24] = {
      0x0000000000000001UL, 0x0000000000008082UL, 0x800000000000808aUL, 0x8000000080008000UL,
      0x000000000000808bUL, 0x0000000080000001UL, 0x8000000080008081UL, 0x8000000000008009UL,
      0x000000000000008aUL, 0x0000000000000088UL, 0x0000000080008009UL, 0x000000008000000aUL,
      0x000000008000808bUL, 0x800000000000008bUL, 0x8000000000008089UL, 0x8000000000008003UL,
      0x8000000000008002UL, 0x8000000000000080UL, 0x000000000000800aUL, 0x800000008000000aUL,
      0x8000000080008081UL, 0x8000000000008080UL, 0x0000000080000001UL, 0x8000000080008008UL};
  u64 bc[5];
  u64 t;
  ROUND_UNROLL for (int round = 0; round < 24; round++) {
    /* theta */
    UNROLL for (int i = 0; i < 5; i++) bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^ st[i + 20];
    UNROLL for (int i = 0; i < 5; i++) {
      t = bc[(i + 4) % 5] ^ ROTL64(bc[(i + 1) % 5], 1);
      UNROLL for (int j = 0; j < 25; j += 5) st[j + i] ^= t;
    }
    /* rho and pi, unrolled with literal rotations (none is 0) */
    t = st[1];
    {
      u64 u;
#define KECCAK_RP(dst, rot) u = st[dst]; st[dst] = ROTL64(t, rot); t = u;
      KECCAK_RP(10, 1) KECCAK_RP(7, 3) KECCAK_RP(11, 6) KECCAK_RP(17, 10) KECCAK_RP(18, 15)
      KECCAK_RP(3, 21) KECCAK_RP(5, 28) KECCAK_RP(16, 36) KECCAK_RP(8, 45) KECCAK_RP(21, 55)
      KECCAK_RP(24, 2) KECCAK_RP(4, 14) KECCAK_RP(15, 27) KECCAK_RP(23, 41) KECCAK_RP(19, 56)
      KECCAK_RP(13, 8) KECCAK_RP(12, 25) KECCAK_RP(2, 43) KECCAK_RP(20, 62) KECCAK_RP(14, 18)
      KECCAK_RP(22, 39) KECCAK_RP(9, 61) KECCAK_RP(6, 20) KECCAK_RP(1, 44)
#undef KECCAK_RP
    }
    /* chi */
    UNROLL for (int j = 0; j < 25; j += 5) {
      UNROLL for (int i = 0; i < 5; i++) bc[i] = st[j + i];
      UNROLL for (int i = 0; i < 5; i++) st[j + i] ^= (~bc[(i + 1) % 5]) & bc[(i + 2) % 5];
    }
    /* iota */
    st[0] ^= rc[round];
  }
}

/* Keccak-512 of `n` 32-bit words (n * 4 < 72 bytes), into 16 words. */
DEV_FN void keccak512_words(u32 out[16], const u32* in, int n) {
  u64 st[25];
  UNROLL for (int i = 0; i < 25; i++) st[i] = 0;
  for (int i = 0; i < n; i += 2) {
    u64 hi = (i + 1 < n) ? (u64)in[i + 1] : 0;
    st[i / 2] = (u64)in[i] | (hi << 32);
  }
  /* pad byte 0x01 right after the message, 0x80 at the last byte of the 72-byte rate */
  st[n / 2] ^= (n % 2) ? ((u64)0x01 << 32) : (u64)0x01;
  st[8] ^= (u64)0x80 << 56;
  keccak_f1600(st);
  UNROLL for (int i = 0; i < 8; i++) {
    out[2 * i] = (u32)st[i];
    out[2 * i + 1] = (u32)(st[i] >> 32);
  }
}

/* Keccak-256 of `n` 32-bit words (n * 4 < 136 bytes), into 8 words. */
DEV_FN void keccak256_words(u32 out[8], const u32* in, int n) {
  u64 st[25];
  UNROLL for (int i = 0; i < 25; i++) st[i] = 0;
  for (int i = 0; i < n; i += 2) {
    u64 hi = (i + 1 < n) ? (u64)in[i + 1] : 0;
    st[i / 2] = (u64)in[i] | (hi << 32);
  }
  st[n / 2] ^= (n % 2) ? ((u64)0x01 << 32) : (u64)0x01;
  st[16] ^= (u64)0x80 << 56;
  keccak_f1600(st);
  UNROLL for (int i = 0; i < 4; i++) {
    out[2 * i] = (u32)st[i];
    out[2 * i + 1] = (u32)(st[i] >> 32);
  }
}

/*
 * mix[0..31] = fnv(mix, the dataset's 128-byte page `page`): 16-byte loads on
 * devices (through the read-only cache on CUDA), plain words on the host.
 */
#if defined(__CUDACC__) && defined(__CUDA_ARCH__) /* the device pass; the host pass is plain C */
#define ETHASH_FNV_PAGE(mix, data, page)                                              \
  do {                                                                                \
    const uint4* q_ = (const uint4*)((data) + (u64)(page) * 32);                     \
    UNROLL for (int k_ = 0; k_ < 8; k_++) {                                           \
      uint4 v_ = __ldg(q_ + k_);                                                      \
      mix[4 * k_] = ethash_fnv(mix[4 * k_], v_.x);                                    \
      mix[4 * k_ + 1] = ethash_fnv(mix[4 * k_ + 1], v_.y);                            \
      mix[4 * k_ + 2] = ethash_fnv(mix[4 * k_ + 2], v_.z);                            \
      mix[4 * k_ + 3] = ethash_fnv(mix[4 * k_ + 3], v_.w);                            \
    }                                                                                 \
  } while (0)
#elif defined(__OPENCL_VERSION__)
#define ETHASH_FNV_PAGE(mix, data, page)                                              \
  do {                                                                                \
    const GLOBAL u32* p_ = (data) + (u64)(page) * 32;                                 \
    UNROLL for (int k_ = 0; k_ < 8; k_++) {                                           \
      uint4 v_ = vload4(k_, p_);                                                      \
      mix[4 * k_] = ethash_fnv(mix[4 * k_], v_.x);                                    \
      mix[4 * k_ + 1] = ethash_fnv(mix[4 * k_ + 1], v_.y);                            \
      mix[4 * k_ + 2] = ethash_fnv(mix[4 * k_ + 2], v_.z);                            \
      mix[4 * k_ + 3] = ethash_fnv(mix[4 * k_ + 3], v_.w);                            \
    }                                                                                 \
  } while (0)
#else
#define ETHASH_FNV_PAGE(mix, data, page)                                              \
  do {                                                                                \
    const GLOBAL u32* p_ = (data) + (u64)(page) * 32;                                 \
    for (int k_ = 0; k_ < 32; k_++) mix[k_] = ethash_fnv(mix[k_], p_[k_]);            \
  } while (0)
#endif

/* One 64-byte dataset item, computed from the light cache of `cache_nodes` nodes. */
DEV_FN void ethash_dataset_item(u32 out[16], const GLOBAL u32* cache, u32 cache_nodes, u32 index) {
  u32 mix[16];
  const GLOBAL u32* first = cache + (u64)(index % cache_nodes) * 16;
  UNROLL for (int k = 0; k < 16; k++) mix[k] = first[k];
  mix[0] ^= index;
  keccak512_words(mix, mix, 16);
  for (u32 j = 0; j < ETHASH_DATASET_PARENTS; j++) {
    u32 parent = ethash_fnv(index ^ j, mix[j % 16]) % cache_nodes;
    const GLOBAL u32* p = cache + (u64)parent * 16;
    UNROLL for (int k = 0; k < 16; k++) mix[k] = ethash_fnv(mix[k], p[k]);
  }
  keccak512_words(out, mix, 16);
}

/* The same, kept out of line on CUDA: the light path calls it 128 times per hash. */
DEV_FN_NOINLINE void ethash_dataset_item_light(u32 out[16], const GLOBAL u32* cache, u32 cache_nodes,
                                               u32 index) {
  ethash_dataset_item(out, cache, cache_nodes, index);
}

/*
 * Hashimoto. header: 8 words; nonce: the 64-bit value (appended little-endian).
 * light != 0: `data` is the light cache of `data_nodes` nodes and each
 * dataset item is computed from it; light == 0: `data` is the full dataset.
 * full_pages: the dataset's size in 128-byte pages (full_size / 128).
 * Writes the 8-word mix digest and the 8-word final hash.
 */
DEV_FN void ethash_hashimoto(u32 mix_out[8], u32 final_out[8], const GLOBAL u32* data,
                             u32 data_nodes, u32 full_pages, const u32 header[8], u64 nonce,
                             int light) {
  u32 seed_in[10];
  u32 s[16];
  u32 mix[32];
  UNROLL for (int k = 0; k < 8; k++) seed_in[k] = header[k];
  seed_in[8] = (u32)nonce;
  seed_in[9] = (u32)(nonce >> 32);
  keccak512_words(s, seed_in, 10);
  UNROLL for (int k = 0; k < 32; k++) mix[k] = s[k % 16];
  /* 64 accesses as 2 x 32 so that mix[j] has a constant index: mix stays in registers */
  for (u32 i0 = 0; i0 < ETHASH_ACCESSES; i0 += 32) {
    UNROLL for (u32 j = 0; j < 32; j++) {
    u32 page = ethash_fnv((i0 + j) ^ s[0], mix[j]) % full_pages;
    if (light) {
      u32 item[16];
      ethash_dataset_item_light(item, data, data_nodes, page * 2);
      UNROLL for (int k = 0; k < 16; k++) mix[k] = ethash_fnv(mix[k], item[k]);
      ethash_dataset_item_light(item, data, data_nodes, page * 2 + 1);
      UNROLL for (int k = 0; k < 16; k++) mix[16 + k] = ethash_fnv(mix[16 + k], item[k]);
    } else {
      ETHASH_FNV_PAGE(mix, data, page);
    }
    }
  }
  u32 fin_in[24];
  UNROLL for (int k = 0; k < 16; k++) fin_in[k] = s[k];
  UNROLL for (int k = 0; k < 8; k++) {
    u32 c = ethash_fnv(ethash_fnv(ethash_fnv(mix[4 * k], mix[4 * k + 1]), mix[4 * k + 2]), mix[4 * k + 3]);
    mix_out[k] = c;
    fin_in[16 + k] = c;
  }
  keccak256_words(final_out, fin_in, 24);
}

/* The first 8 bytes of a hash read big-endian, for comparison with a target. */
DEV_FN u64 ethash_hash_head(const u32 h[8]) {
  u32 a = h[0], b = h[1];
  u32 ra = (a >> 24) | ((a >> 8) & 0xff00u) | ((a << 8) & 0xff0000u) | (a << 24);
  u32 rb = (b >> 24) | ((b >> 8) & 0xff00u) | ((b << 8) & 0xff0000u) | (b << 24);
  return ((u64)ra << 32) | (u64)rb;
}

#endif /* SONM_ETHASH_CORE_H */
