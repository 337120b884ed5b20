/*
 * fp32_core.h: the FP32 FMA throughput workload, shared by the OpenCL and
 * CUDA kernels and the host's check. Each thread runs 16 independent chains
 * of `iters` fused multiply-adds (2 flops each) and returns their sum. FMA is
 * correctly rounded everywhere, so the host recomputes a few threads with
 * fmaf() and expects the same bits.
 */
#ifndef SONM_FP32_CORE_H
#define SONM_FP32_CORE_H

#include "device_compat.h"

#define FP32_CHAINS 16

DEV_FN float fp32_fma_chains(u32 gid, float a, float b, u32 iters) {
  float v[FP32_CHAINS];
  UNROLL for (int k = 0; k < FP32_CHAINS; k++) v[k] = (float)((gid + (u32)k * 7u) & 1023u) * 0.0009765625f;
  UNROLL8 for (u32 i = 0; i < iters; i++) {
    UNROLL for (int k = 0; k < FP32_CHAINS; k++) v[k] = FMAF(v[k], a, b);
  }
  float sum = 0.0f;
  UNROLL for (int k = 0; k < FP32_CHAINS; k++) sum += v[k];
  return sum;
}

#endif /* SONM_FP32_CORE_H */
