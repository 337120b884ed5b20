/*
 * kernels.cl: the OpenCL entry points. The algorithms are in ethash_core.h and
 * fp32_core.h (shared with CUDA); these wrappers only move data. The build
 * embeds device_compat.h, the two headers and this file, in that order, into
 * the probe binary (scripts/build_probes.sh), so the includes below are
 * satisfied before the runtime compiler sees them.
 */
#include "ethash_core.h"
#include "fp32_core.h"

__kernel void ethash_dag(__global const uint* cache, uint cache_nodes, __global uint* dag, uint start) {
  uint i = start + (uint)get_global_id(0);
  uint item[16];
  ethash_dataset_item(item, cache, cache_nodes, i);
  for (int k = 0; k < 16; k++) dag[(ulong)i * 16 + k] = item[k];
}

/* inputs: n x (8 header words, nonce lo, nonce hi); outputs: n x (8 mix, 8 final) */
__kernel void ethash_hash(__global const uint* data, uint data_nodes, uint full_pages, int light,
                          __global const uint* inputs, __global uint* outputs) {
  size_t g = get_global_id(0);
  uint header[8], mix[8], fin[8];
  for (int k = 0; k < 8; k++) header[k] = inputs[g * 10 + k];
  ulong nonce = (ulong)inputs[g * 10 + 8] | ((ulong)inputs[g * 10 + 9] << 32);
  ethash_hashimoto(mix, fin, data, data_nodes, full_pages, header, nonce, light);
  for (int k = 0; k < 8; k++) {
    outputs[g * 16 + k] = mix[k];
    outputs[g * 16 + 8 + k] = fin[k];
  }
}

/* found[0]: hits; found[1..8]: up to four nonces (lo, hi) */
__kernel void ethash_search(__global const uint* dag, uint dag_nodes, uint full_pages,
                            __global const uint* header_in, ulong start_nonce, ulong target,
                            __global uint* found) {
  uint header[8], mix[8], fin[8];
  for (int k = 0; k < 8; k++) header[k] = header_in[k];
  ulong nonce = start_nonce + get_global_id(0);
  ethash_hashimoto(mix, fin, dag, dag_nodes, full_pages, header, nonce, 0);
  if (ethash_hash_head(fin) <= target) {
    uint slot = atomic_inc(&found[0]);
    if (slot < 4) {
      found[1 + 2 * slot] = (uint)nonce;
      found[2 + 2 * slot] = (uint)(nonce >> 32);
    }
  }
}

__kernel void fp32_fma(float a, float b, uint iters, __global float* out) {
  uint g = (uint)get_global_id(0);
  out[g] = fp32_fma_chains(g, a, b, iters);
}
