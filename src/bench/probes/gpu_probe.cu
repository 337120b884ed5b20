/*
 * gpu_probe.cu: the CUDA backend of the GPU probes (Ethash, FP32 FMA). The
 * device code is ethash_core.h / fp32_core.h, the same headers the OpenCL
 * kernels use (CI checks them on PoCL); these kernels only move data.
 * Build: scripts/build_probes.sh cuda (nvcc from pip, -arch=sm_90 by default).
 */
#include <cuda_runtime.h>

#include "ethash_core.h"
#include "fp32_core.h"

#include "probe_host.h"

__global__ void ethash_dag_kernel(const u32* cache, u32 cache_nodes, u32* dag, u32 start, u32 count) {
  u32 g = blockIdx.x * blockDim.x + threadIdx.x;
  if (g >= count) return;
  u32 i = start + g;
  u32 item[16];
  ethash_dataset_item(item, cache, cache_nodes, i);
  uint4* dst = (uint4*)(dag + (u64)i * 16);
  dst[0] = make_uint4(item[0], item[1], item[2], item[3]);
  dst[1] = make_uint4(item[4], item[5], item[6], item[7]);
  dst[2] = make_uint4(item[8], item[9], item[10], item[11]);
  dst[3] = make_uint4(item[12], item[13], item[14], item[15]);
}

__global__ void ethash_hash_kernel(const u32* data, u32 data_nodes, u32 full_pages, int light,
                                   const u32* inputs, u32* outputs, u32 n) {
  u32 g = blockIdx.x * blockDim.x + threadIdx.x;
  if (g >= n) return;
  u32 header[8], mix[8], fin[8];
  for (int k = 0; k < 8; k++) header[k] = inputs[g * 10 + k];
  u64 nonce = (u64)inputs[g * 10 + 8] | ((u64)inputs[g * 10 + 9] << 32);
  if (light) ethash_hashimoto(mix, fin, data, data_nodes, full_pages, header, nonce, 1);
  else ethash_hashimoto(mix, fin, data, data_nodes, full_pages, header, nonce, 0);
  for (int k = 0; k < 8; k++) {
    outputs[g * 16 + k] = mix[k];
    outputs[g * 16 + 8 + k] = fin[k];
  }
}

__constant__ u32 c_header[8];

__global__ void __launch_bounds__(128) ethash_search_kernel(const u32* __restrict__ dag, u32 dag_nodes,
                                                            u32 full_pages, u64 start_nonce, u64 target,
                                                            u32* found) {
  u32 header[8], mix[8], fin[8];
  for (int k = 0; k < 8; k++) header[k] = c_header[k];
  u64 nonce = start_nonce + blockIdx.x * blockDim.x + threadIdx.x;
  ethash_hashimoto(mix, fin, dag, dag_nodes, full_pages, header, nonce, 0);
  if (ethash_hash_head(fin) <= target) {
    u32 slot = atomicAdd(&found[0], 1u);
    if (slot < 4) {
      found[1 + 2 * slot] = (u32)nonce;
      found[2 + 2 * slot] = (u32)(nonce >> 32);
    }
  }
}

__global__ void fp32_fma_kernel(float a, float b, u32 iters, float* out) {
  u32 g = blockIdx.x * blockDim.x + threadIdx.x;
  out[g] = fp32_fma_chains(g, a, b, iters);
}

static u32 *d_cache, *d_dag, *d_found;
static u32 cache_nodes_loaded, dag_nodes_loaded;

#define CU_TRY(call, what)                                                                          \
  do {                                                                                              \
    cudaError_t e_ = (call);                                                                        \
    if (e_ != cudaSuccess) {                                                                        \
      snprintf(probe_error, sizeof probe_error, "Cannot %s: CUDA error %d: %s", what, (int)e_,      \
               cudaGetErrorString(e_));                                                             \
      return -1;                                                                                    \
    }                                                                                               \
  } while (0)

static int backend_open(int index, probe_device_info* info) {
  int count = 0;
  CU_TRY(cudaGetDeviceCount(&count), "count CUDA devices");
  if (index >= count) {
    snprintf(probe_error, sizeof probe_error, "Cannot open CUDA device %d: only %d devices found", index, count);
    return -1;
  }
  CU_TRY(cudaSetDevice(index), "select the CUDA device");
  cudaDeviceProp p;
  CU_TRY(cudaGetDeviceProperties(&p, index), "read CUDA device properties");
  int drv = 0, rt = 0;
  cudaDriverGetVersion(&drv);
  cudaRuntimeGetVersion(&rt);
  strcpy(info->api, "cuda");
  snprintf(info->name, sizeof info->name, "%s", p.name);
  snprintf(info->vendor, sizeof info->vendor, "NVIDIA");
  snprintf(info->driver, sizeof info->driver, "cuda-driver %d.%d runtime %d.%d", drv / 1000, (drv % 1000) / 10,
           rt / 1000, (rt % 1000) / 10);
  const unsigned char* u = (const unsigned char*)p.uuid.bytes;
  snprintf(info->uuid, sizeof info->uuid,
           "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3],
           u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
  snprintf(info->pci_bus_id, sizeof info->pci_bus_id, "%08x:%02x:%02x.0", p.pciDomainID, p.pciBusID,
           p.pciDeviceID);
  snprintf(info->compute_capability, sizeof info->compute_capability, "%d.%d", p.major, p.minor);
  info->mem_bytes = p.totalGlobalMem;
  info->compute_units = (unsigned)p.multiProcessorCount;
  CU_TRY(cudaMalloc(&d_found, 9 * sizeof(u32)), "allocate search results");
  return 0;
}

static int backend_upload_cache(const u32* cache, u32 nodes) {
  if (d_cache) cudaFree(d_cache);
  d_cache = NULL;
  CU_TRY(cudaMalloc(&d_cache, (size_t)nodes * 64), "allocate the light cache");
  CU_TRY(cudaMemcpy(d_cache, cache, (size_t)nodes * 64, cudaMemcpyHostToDevice), "upload the light cache");
  cache_nodes_loaded = nodes;
  return 0;
}

static int backend_build_dag(u32 nodes) {
  if (d_dag) cudaFree(d_dag);
  d_dag = NULL;
  CU_TRY(cudaMalloc(&d_dag, (size_t)nodes * 64), "allocate the dataset");
  dag_nodes_loaded = nodes;
  const u32 chunk = 1u << 20;
  for (u32 start = 0; start < nodes; start += chunk) {
    u32 n = nodes - start < chunk ? nodes - start : chunk;
    ethash_dag_kernel<<<(n + 127) / 128, 128>>>(d_cache, cache_nodes_loaded, d_dag, start, n);
    CU_TRY(cudaGetLastError(), "build the dataset");
  }
  CU_TRY(cudaDeviceSynchronize(), "build the dataset");
  return 0;
}

static int backend_hash(const u32* inputs, u32 n, u32 full_pages, int light, u32* outputs) {
  u32 *d_in = NULL, *d_out = NULL;
  CU_TRY(cudaMalloc(&d_in, (size_t)n * 40), "allocate hash inputs");
  CU_TRY(cudaMalloc(&d_out, (size_t)n * 64), "allocate hash outputs");
  CU_TRY(cudaMemcpy(d_in, inputs, (size_t)n * 40, cudaMemcpyHostToDevice), "upload hash inputs");
  const u32* data = light ? d_cache : d_dag;
  u32 nodes = light ? cache_nodes_loaded : dag_nodes_loaded;
  ethash_hash_kernel<<<(n + 63) / 64, 64>>>(data, nodes, full_pages, light, d_in, d_out, n);
  CU_TRY(cudaGetLastError(), "run the hash kernel");
  CU_TRY(cudaMemcpy(outputs, d_out, (size_t)n * 64, cudaMemcpyDeviceToHost), "read hash outputs");
  cudaFree(d_in);
  cudaFree(d_out);
  return 0;
}

static int backend_search(const u32 header[8], u64 start, u32 count, u32 full_pages, u64 target, u32* found) {
  u32 zero[9] = {0};
  CU_TRY(cudaMemcpyToSymbol(c_header, header, 32), "upload the header");
  CU_TRY(cudaMemcpy(d_found, zero, sizeof zero, cudaMemcpyHostToDevice), "reset search results");
  ethash_search_kernel<<<(count + 127) / 128, 128>>>(d_dag, dag_nodes_loaded, full_pages, start, target, d_found);
  CU_TRY(cudaGetLastError(), "run the search kernel");
  CU_TRY(cudaMemcpy(zero, d_found, sizeof zero, cudaMemcpyDeviceToHost), "read search results");
  *found = zero[0];
  return 0;
}

static int backend_fp32(u32 threads, u32 iters, float a, float b, float* out) {
  float* d_out = NULL;
  CU_TRY(cudaMalloc(&d_out, (size_t)threads * 4), "allocate fp32 outputs");
  fp32_fma_kernel<<<threads / 256, 256>>>(a, b, iters, d_out);
  CU_TRY(cudaGetLastError(), "run the fp32 kernel");
  CU_TRY(cudaMemcpy(out, d_out, (size_t)threads * 4, cudaMemcpyDeviceToHost), "read fp32 outputs");
  cudaFree(d_out);
  return 0;
}

static void backend_close(void) {
  if (d_dag) cudaFree(d_dag);
  if (d_cache) cudaFree(d_cache);
  if (d_found) cudaFree(d_found);
}

int main(int argc, char** argv) { return probe_main(argc, argv); }
