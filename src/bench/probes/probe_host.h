/*
 * probe_host.h: the host side shared by the OpenCL probe (gpu_probe_cl.c) and
 * the CUDA probe (gpu_probe.cu). It parses arguments, builds the Ethash light
 * cache on the host (with the same ethash_core.h the devices run), checks the
 * known-answer vectors, times the workloads and prints one JSON object.
 *
 * A backend defines these (declared below) after including this file:
 *   int  backend_open(int index, probe_device_info* info);
 *   int  backend_upload_cache(const u32* cache, u32 nodes);
 *   int  backend_build_dag(u32 nodes);                 // from the uploaded cache
 *   int  backend_hash(const u32* inputs, u32 n, u32 full_pages, int light, u32* outputs);
 *   int  backend_search(const u32 header[8], u64 start, u32 count, u32 full_pages,
 *                       u64 target, u32* found);
 *   int  backend_fp32(u32 threads, u32 iters, float a, float b, float* out);
 *   void backend_close(void);
 * Each returns 0 on success and fills probe_error on failure.
 *
 * Usage:
 *   PROBE ethash [--mode light|full] [--vector BLOCK:HEADER:NONCE:MIX:FINAL]...
 *                [--dag-check PAGES] [--seconds S] [--device I]
 *   PROBE fp32 [--seconds S] [--threads T] [--device I]
 *   PROBE info [--device I]
 */
#ifndef SONM_PROBE_HOST_H
#define SONM_PROBE_HOST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROBE_VERSION "2"
#define MAX_VECTORS 64

typedef struct {
  char api[32];
  char name[256];
  char vendor[256];
  char driver[128];
  char uuid[64];
  char pci_bus_id[64];
  char compute_capability[16];
  unsigned long long mem_bytes;
  unsigned compute_units;
} probe_device_info;

static char probe_error[512];

static int backend_open(int index, probe_device_info* info);
static int backend_upload_cache(const u32* cache, u32 nodes);
static int backend_build_dag(u32 nodes);
static int backend_hash(const u32* inputs, u32 n, u32 full_pages, int light, u32* outputs);
static int backend_search(const u32 header[8], u64 start, u32 count, u32 full_pages, u64 target,
                          u32* found);
static int backend_fp32(u32 threads, u32 iters, float a, float b, float* out);
static void backend_close(void);

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void json_string(const char* s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static void print_device(const probe_device_info* d) {
  printf("\"device\":{\"api\":");
  json_string(d->api);
  printf(",\"name\":");
  json_string(d->name);
  printf(",\"vendor\":");
  json_string(d->vendor);
  printf(",\"driver\":");
  json_string(d->driver);
  printf(",\"uuid\":");
  json_string(d->uuid);
  printf(",\"pciBusId\":");
  json_string(d->pci_bus_id);
  printf(",\"computeCapability\":");
  json_string(d->compute_capability);
  printf(",\"memBytes\":%llu,\"computeUnits\":%u}", d->mem_bytes, d->compute_units);
}

static void fail_json(const char* probe, const char* message) {
  printf("{\"probe\":");
  json_string(probe);
  printf(",\"version\":\"" PROBE_VERSION "\",\"ok\":false,\"error\":");
  json_string(message);
  printf("}\n");
}

/* ---- Ethash parameters (yellow paper, appendix J) ---- */

static int is_prime(u64 n) {
  if (n < 2) return 0;
  if (n % 2 == 0) return n == 2;
  for (u64 d = 3; d * d <= n; d += 2)
    if (n % d == 0) return 0;
  return 1;
}

static u64 ethash_cache_bytes(u32 epoch) {
  u64 sz = (1ull << 24) + (1ull << 17) * epoch - 64;
  while (!is_prime(sz / 64)) sz -= 128;
  return sz;
}

static u64 ethash_dataset_bytes(u32 epoch) {
  u64 sz = (1ull << 30) + (1ull << 23) * epoch - 128;
  while (!is_prime(sz / 128)) sz -= 256;
  return sz;
}

/* Builds the light cache of `epoch`; returns a malloc'd array of nodes*16 words. */
static u32* ethash_make_cache(u32 epoch, u32* nodes_out) {
  u32 seed[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (u32 e = 0; e < epoch; e++) keccak256_words(seed, seed, 8);
  u32 n = (u32)(ethash_cache_bytes(epoch) / 64);
  u32* cache = (u32*)malloc((size_t)n * 64);
  if (!cache) return NULL;
  keccak512_words(cache, seed, 8);
  for (u32 i = 1; i < n; i++) keccak512_words(cache + (size_t)i * 16, cache + (size_t)(i - 1) * 16, 16);
  for (int round = 0; round < 3; round++) {
    for (u32 i = 0; i < n; i++) {
      u32 tmp[16];
      u32 v = cache[(size_t)i * 16] % n;
      u32 u = (i + n - 1) % n;
      for (int k = 0; k < 16; k++) tmp[k] = cache[(size_t)u * 16 + k] ^ cache[(size_t)v * 16 + k];
      keccak512_words(cache + (size_t)i * 16, tmp, 16);
    }
  }
  *nodes_out = n;
  return cache;
}

/* ---- hex helpers: hashes are byte strings of little-endian words ---- */

static int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int hex_to_words(const char* hex, size_t len, u32* words) {
  for (size_t i = 0; i < len / 8; i++) words[i] = 0;
  for (size_t b = 0; b < len / 2; b++) {
    int hi = hex_nibble(hex[2 * b]), lo = hex_nibble(hex[2 * b + 1]);
    if (hi < 0 || lo < 0) return -1;
    words[b / 4] |= (u32)(hi * 16 + lo) << (8 * (b % 4));
  }
  return 0;
}

static void words_to_hex(const u32* words, int n, char* out) {
  static const char digits[] = "0123456789abcdef";
  for (int b = 0; b < n * 4; b++) {
    unsigned byte = (words[b / 4] >> (8 * (b % 4))) & 0xffu;
    out[2 * b] = digits[byte >> 4];
    out[2 * b + 1] = digits[byte & 15];
  }
  out[n * 8] = 0;
}

typedef struct {
  u32 block;
  u32 header[8];
  u64 nonce;
  char mix[65];
  char final_hash[65];
  char got_mix[65];
  char got_final[65];
  char host_final[65];
  int ok;
} ethash_vector;

/* BLOCK:HEADER(64 hex):NONCE(16 hex, big-endian):MIX(64 hex):FINAL(64 hex) */
static int parse_vector(const char* s, ethash_vector* v) {
  char header[65], nonce[17];
  unsigned long block;
  if (sscanf(s, "%lu:%64[0-9a-fA-F]:%16[0-9a-fA-F]:%64[0-9a-fA-F]:%64[0-9a-fA-F]", &block, header,
             nonce, v->mix, v->final_hash) != 5)
    return -1;
  if (strlen(header) != 64 || strlen(nonce) != 16 || strlen(v->mix) != 64 ||
      strlen(v->final_hash) != 64)
    return -1;
  for (char* c = v->mix; *c; c++)
    if (*c >= 'A' && *c <= 'F') *c = (char)(*c - 'A' + 'a');
  for (char* c = v->final_hash; *c; c++)
    if (*c >= 'A' && *c <= 'F') *c = (char)(*c - 'A' + 'a');
  v->block = (u32)block;
  if (hex_to_words(header, 64, v->header) != 0) return -1;
  v->nonce = strtoull(nonce, NULL, 16);
  v->ok = 0;
  v->got_mix[0] = v->got_final[0] = v->host_final[0] = 0;
  return 0;
}

/* ---- the probes ---- */

static int run_ethash(int argc, char** argv, const probe_device_info* dev) {
  static ethash_vector vectors[MAX_VECTORS];
  int nvec = 0, light = 0;
  double seconds = 10.0;
  u32 dag_check_pages = 0;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
      i++;
      if (!strcmp(argv[i], "light")) light = 1;
      else if (!strcmp(argv[i], "full")) light = 0;
      else return fail_json("gpu-ethash", "Cannot parse --mode: expected light or full"), 2;
    } else if (!strcmp(argv[i], "--vector") && i + 1 < argc) {
      if (nvec >= MAX_VECTORS || parse_vector(argv[++i], &vectors[nvec]) != 0)
        return fail_json("gpu-ethash", "Cannot parse --vector: expected BLOCK:HEADER:NONCE:MIX:FINAL"), 2;
      nvec++;
    } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = atof(argv[++i]);
    } else if (!strcmp(argv[i], "--dag-check") && i + 1 < argc) {
      dag_check_pages = (u32)strtoul(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
      i++;
    } else {
      return fail_json("gpu-ethash", "Cannot parse arguments: unknown option"), 2;
    }
  }
  if (nvec == 0) return fail_json("gpu-ethash", "Cannot run ethash: no --vector given"), 2;
  u32 epoch = vectors[0].block / 30000;
  if (!light) {
    for (int v = 1; v < nvec; v++)
      if (vectors[v].block / 30000 != epoch)
        return fail_json("gpu-ethash", "Cannot run ethash in full mode: vectors span several epochs"), 2;
  }

  double cache_seconds = 0, dag_seconds = 0, hash_seconds = 0;
  int all_ok = 1, dag_check_ok = -1;
  u32 dag_check_hashes = 0;
  unsigned long long hashes = 0;
  u32 found = 0;
  u32 cache_nodes = 0, loaded_epoch = 0xffffffffu;
  u32* cache = NULL;
  int done[MAX_VECTORS] = {0};
  char err[600] = {0};

  for (int v0 = 0; v0 < nvec && !err[0]; v0++) {
    if (done[v0]) continue;
    u32 ep = vectors[v0].block / 30000;
    if (ep != loaded_epoch) {
      double t0 = now_seconds();
      free(cache);
      cache = ethash_make_cache(ep, &cache_nodes);
      cache_seconds += now_seconds() - t0;
      if (!cache) { snprintf(err, sizeof err, "Cannot build the light cache of epoch %u: out of memory", ep); break; }
      if (backend_upload_cache(cache, cache_nodes) != 0) { snprintf(err, sizeof err, "%s", probe_error); break; }
      loaded_epoch = ep;
      if (!light) {
        t0 = now_seconds();
        u32 dag_nodes = (u32)(ethash_dataset_bytes(ep) / 64);
        if (backend_build_dag(dag_nodes) != 0) { snprintf(err, sizeof err, "%s", probe_error); break; }
        dag_seconds = now_seconds() - t0;
      }
    }
    u32 full_pages = (u32)(ethash_dataset_bytes(ep) / 128);
    /* every vector of this epoch in one launch */
    u32 inputs[MAX_VECTORS * 10], outputs[MAX_VECTORS * 16];
    int idx[MAX_VECTORS], n = 0;
    for (int v = v0; v < nvec; v++) {
      if (done[v] || vectors[v].block / 30000 != ep) continue;
      memcpy(inputs + n * 10, vectors[v].header, 32);
      inputs[n * 10 + 8] = (u32)vectors[v].nonce;
      inputs[n * 10 + 9] = (u32)(vectors[v].nonce >> 32);
      idx[n++] = v;
      done[v] = 1;
    }
    double t0 = now_seconds();
    if (backend_hash(inputs, (u32)n, full_pages, light, outputs) != 0) { snprintf(err, sizeof err, "%s", probe_error); break; }
    hash_seconds += now_seconds() - t0;
    for (int k = 0; k < n; k++) {
      ethash_vector* vec = &vectors[idx[k]];
      words_to_hex(outputs + k * 16, 8, vec->got_mix);
      words_to_hex(outputs + k * 16 + 8, 8, vec->got_final);
      /* the host's own evaluation, from the same header compiled as C */
      u32 hm[8], hf[8];
      ethash_hashimoto(hm, hf, cache, cache_nodes, full_pages, vec->header, vec->nonce, 1);
      words_to_hex(hf, 8, vec->host_final);
      vec->ok = !strcmp(vec->got_mix, vec->mix) && !strcmp(vec->got_final, vec->final_hash) &&
                !strcmp(vec->host_final, vec->final_hash);
      if (!vec->ok) all_ok = 0;
    }
  }

  /* The full-dataset path on a small dataset: build it on the device from the
     cache, then the same nonces hashed from it and from the cache must agree. */
  if (!err[0] && dag_check_pages > 0 && cache) {
    if (backend_build_dag(dag_check_pages * 2) != 0) {
      snprintf(err, sizeof err, "%s", probe_error);
    } else {
      enum { N = 8 };
      u32 inputs[N * 10], full_out[N * 16], light_out[N * 16];
      for (int k = 0; k < N; k++) {
        for (int w = 0; w < 8; w++) inputs[k * 10 + w] = 0x9e3779b9u * (u32)(k * 8 + w + 1);
        inputs[k * 10 + 8] = (u32)k * 7919u;
        inputs[k * 10 + 9] = 0;
      }
      if (backend_hash(inputs, N, dag_check_pages, 0, full_out) != 0 ||
          backend_hash(inputs, N, dag_check_pages, 1, light_out) != 0) {
        snprintf(err, sizeof err, "%s", probe_error);
      } else {
        dag_check_ok = memcmp(full_out, light_out, sizeof full_out) == 0;
        dag_check_hashes = N;
        if (!dag_check_ok) all_ok = 0;
      }
    }
  }

  /* Throughput: only in full mode, only once the vectors passed. */
  double search_seconds = 0;
  if (!err[0] && !light && all_ok && seconds > 0) {
    u32 header[8];
    for (int w = 0; w < 8; w++) header[w] = vectors[0].header[w] ^ 0x5bd1e995u;
    u32 full_pages = (u32)(ethash_dataset_bytes(epoch) / 128);
    u32 batch = 1u << 16;
    u64 nonce = 0;
    u64 target = 0x00000000ffffffffull; /* about one hit per 2^32 hashes */
    double t_start = now_seconds();
    while (search_seconds < seconds) {
      u32 f = 0;
      double t0 = now_seconds();
      if (backend_search(header, nonce, batch, full_pages, target, &f) != 0) {
        snprintf(err, sizeof err, "%s", probe_error);
        break;
      }
      double dt = now_seconds() - t0;
      nonce += batch;
      hashes += batch;
      found += f;
      search_seconds = now_seconds() - t_start;
      if (dt < 0.1 && batch < (1u << 30)) batch *= 2;
    }
  }
  free(cache);

  printf("{\"probe\":\"gpu-ethash\",\"version\":\"" PROBE_VERSION "\",");
  print_device(dev);
  printf(",\"mode\":\"%s\",\"epoch\":%u,\"cacheBytes\":%llu,\"datasetBytes\":%llu,", light ? "light" : "full",
         epoch, (unsigned long long)ethash_cache_bytes(epoch), (unsigned long long)ethash_dataset_bytes(epoch));
  printf("\"vectors\":[");
  for (int v = 0; v < nvec; v++) {
    printf("%s{\"block\":%u,\"ok\":%s,\"mix\":\"%s\",\"final\":\"%s\",\"hostFinal\":\"%s\"}", v ? "," : "",
           vectors[v].block, vectors[v].ok ? "true" : "false", vectors[v].got_mix, vectors[v].got_final,
           vectors[v].host_final);
  }
  printf("],\"dagCheck\":");
  if (dag_check_ok < 0) printf("null");
  else printf("{\"pages\":%u,\"hashes\":%u,\"ok\":%s}", dag_check_pages, dag_check_hashes, dag_check_ok ? "true" : "false");
  printf(",\"cacheSeconds\":%.3f,\"dagSeconds\":%.3f,\"hashSeconds\":%.3f", cache_seconds, dag_seconds, hash_seconds);
  printf(",\"hashes\":%llu,\"found\":%u,\"searchSeconds\":%.3f,\"hashrate\":%.0f", hashes, found, search_seconds,
         search_seconds > 0 ? (double)hashes / search_seconds : 0.0);
  printf(",\"ok\":%s", (!err[0] && all_ok) ? "true" : "false");
  if (err[0]) {
    printf(",\"error\":");
    json_string(err);
  }
  printf("}\n");
  return (!err[0] && all_ok) ? 0 : 1;
}

static int run_fp32(int argc, char** argv, const probe_device_info* dev) {
  double seconds = 5.0;
  u32 threads = 0;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = (u32)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--device") && i + 1 < argc) i++;
    else return fail_json("gpu-fp32", "Cannot parse arguments: unknown option"), 2;
  }
  if (threads == 0) threads = (dev->compute_units ? dev->compute_units : 1) * 2048u;
  threads = (threads + 255u) / 256u * 256u;
  const float a = 0.99993896484375f, b = 0.00006103515625f;
  float* out = (float*)malloc((size_t)threads * sizeof(float));
  char err[600] = {0};
  int ok = 1;
  u32 iters = 64;
  unsigned long long launches = 0;
  double flops = 0, elapsed = 0;
  if (!out) snprintf(err, sizeof err, "Cannot allocate %u floats", threads);
  /* warm up (the first launch may compile), then calibrate: one launch should take about 50 ms */
  if (!err[0] && backend_fp32(threads, iters, a, b, out) != 0) snprintf(err, sizeof err, "%s", probe_error);
  while (!err[0]) {
    double t0 = now_seconds();
    if (backend_fp32(threads, iters, a, b, out) != 0) { snprintf(err, sizeof err, "%s", probe_error); break; }
    double dt = now_seconds() - t0;
    if (dt > 0.05 || iters >= (1u << 24) || seconds <= 0) break;
    iters *= 2;
  }
  /* timed launches */
  double t_start = now_seconds();
  while (!err[0] && seconds > 0 && elapsed < seconds) {
    if (backend_fp32(threads, iters, a, b, out) != 0) { snprintf(err, sizeof err, "%s", probe_error); break; }
    launches++;
    flops += (double)threads * (double)iters * FP32_CHAINS * 2.0;
    elapsed = now_seconds() - t_start;
  }
  /* check a spread of threads of the last launch against the host's fmaf */
  u32 checked = 0;
  if (!err[0]) {
    for (u32 t = 0; t < threads; t += threads / 61 + 1) {
      float want = fp32_fma_chains(t, a, b, iters);
      if (memcmp(&want, &out[t], sizeof want) != 0) ok = 0;
      checked++;
    }
  }
  free(out);
  printf("{\"probe\":\"gpu-fp32\",\"version\":\"" PROBE_VERSION "\",");
  print_device(dev);
  printf(",\"threads\":%u,\"iters\":%u,\"launches\":%llu,\"checked\":%u,\"seconds\":%.3f,\"gflops\":%.1f", threads,
         iters, launches, checked, elapsed, elapsed > 0 ? flops / elapsed / 1e9 : 0.0);
  printf(",\"ok\":%s", (!err[0] && ok) ? "true" : "false");
  if (err[0]) {
    printf(",\"error\":");
    json_string(err);
  }
  printf("}\n");
  return (!err[0] && ok) ? 0 : 1;
}

static int probe_main(int argc, char** argv) {
  if (argc < 2 || (strcmp(argv[1], "ethash") && strcmp(argv[1], "fp32") && strcmp(argv[1], "info"))) {
    fail_json("probe", "Cannot run probe: usage: probe ethash|fp32|info [options]");
    return 2;
  }
  int device = 0;
  for (int i = 2; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--device")) device = atoi(argv[i + 1]);
  probe_device_info dev;
  memset(&dev, 0, sizeof dev);
  const char* probe = !strcmp(argv[1], "ethash") ? "gpu-ethash" : !strcmp(argv[1], "fp32") ? "gpu-fp32" : "info";
  if (backend_open(device, &dev) != 0) {
    fail_json(probe, probe_error);
    return 3;
  }
  int rc;
  if (!strcmp(argv[1], "ethash")) rc = run_ethash(argc, argv, &dev);
  else if (!strcmp(argv[1], "fp32")) rc = run_fp32(argc, argv, &dev);
  else {
    printf("{\"probe\":\"info\",\"version\":\"" PROBE_VERSION "\",");
    print_device(&dev);
    printf(",\"ok\":true}\n");
    rc = 0;
  }
  backend_close();
  fflush(stdout);
  return rc;
}

#endif /* SONM_PROBE_HOST_H */
