// overhead.cc -- the shim's cost: an empty benchmark written directly in
// C++ beside the same one through the C shim, in one run.
//   shim_overhead --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include "gbshim.h"

static void cxx_empty(benchmark::State &state) {
  for (auto _ : state) {
  }
}
BENCHMARK(cxx_empty);

static void cxx_keep_running(benchmark::State &state) {
  while (state.KeepRunning()) {
  }
}
BENCHMARK(cxx_keep_running);

static void shim_empty(gbs_state *st, void *) {
  while (gbs_keep_running(st)) {
  }
}

int main(int argc, char **argv) {
  gbs_initialize(&argc, argv);
  if (gbs_report_unrecognized(argc, argv)) return 2;
  gbs_register("shim_empty", shim_empty, nullptr);
  gbs_run_all(nullptr); // --benchmark_out, if any, as Google Benchmark writes it
  gbs_shutdown();
  return 0;
}
