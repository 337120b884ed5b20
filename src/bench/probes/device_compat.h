/*
 * device_compat.h: the few macros that let one file of device code compile as
 * OpenCL C, as CUDA and as plain C (the host's reference path).
 *
 *   u32, u64   32- and 64-bit unsigned integers
 *   DEV_FN     a function callable from device code (and the host under CUDA/C)
 *   DEV_FN_NOINLINE  the same, kept out of line on CUDA (large bodies called often)
 *   GLOBAL     the address space of device buffers (__global in OpenCL)
 *   ROTL64     64-bit rotate left by 1..63
 *   FMAF       fused multiply-add, correctly rounded, on float
 *   UNROLL, ROUND_UNROLL, UNROLL8  unroll hints (ROUND_UNROLL: only where registers allow)
 */
#ifndef SONM_DEVICE_COMPAT_H
#define SONM_DEVICE_COMPAT_H

#if defined(__OPENCL_VERSION__)
typedef uint u32;
typedef ulong u64;
#define DEV_FN inline
#define DEV_FN_NOINLINE inline
#define GLOBAL __global
#define ROTL64(x, n) rotate((u64)(x), (u64)(n))
#define FMAF(a, b, c) fma((a), (b), (c))
#define UNROLL _Pragma("unroll")
#define ROUND_UNROLL
#define UNROLL8 _Pragma("unroll 8")
#elif defined(__CUDACC__)
#include <stdint.h>
typedef uint32_t u32;
typedef uint64_t u64;
#define DEV_FN __host__ __device__ __forceinline__
#define DEV_FN_NOINLINE __host__ __device__ __noinline__
#define GLOBAL
#define ROTL64(x, n) (((u64)(x) << (n)) | ((u64)(x) >> (64 - (n))))
#define FMAF(a, b, c) fmaf((a), (b), (c))
#define UNROLL _Pragma("unroll")
#define ROUND_UNROLL _Pragma("unroll")
#define UNROLL8 _Pragma("unroll 8")
#else
#include <math.h>
#include <stdint.h>
typedef uint32_t u32;
typedef uint64_t u64;
#define DEV_FN static inline
#define DEV_FN_NOINLINE static inline
#define GLOBAL
#define ROTL64(x, n) (((u64)(x) << (n)) | ((u64)(x) >> (64 - (n))))
#define FMAF(a, b, c) fmaf((a), (b), (c))
#define UNROLL
#define ROUND_UNROLL
#define UNROLL8
#endif

#endif /* SONM_DEVICE_COMPAT_H */
