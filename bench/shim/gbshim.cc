// gbshim.cc -- the C shim over Google Benchmark (see gbshim.h).
#include "gbshim.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

// gbs_state and gbs_bench stay incomplete: they are the C names of a
// benchmark::State and a benchmark::internal::Benchmark.
static benchmark::State &S(gbs_state *st) {
  return *reinterpret_cast<benchmark::State *>(st);
}
static benchmark::internal::Benchmark *B(gbs_bench *b) {
  return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

extern "C" {

int gbs_initialize(int *argc, char **argv) {
  benchmark::Initialize(argc, argv);
  benchmark::AddCustomContext("schema", GBS_JSON_SCHEMA);
  return 0;
}

int gbs_report_unrecognized(int argc, char **argv) {
  return benchmark::ReportUnrecognizedArguments(argc, argv) ? 1 : 0;
}

gbs_bench *gbs_register(const char *name, gbs_fn fn, void *arg) {
  auto *b = benchmark::RegisterBenchmark(
      name, [fn, arg](benchmark::State &s) {
        fn(reinterpret_cast<gbs_state *>(&s), arg);
      });
  return reinterpret_cast<gbs_bench *>(b);
}

void gbs_use_manual_time(gbs_bench *b) { B(b)->UseManualTime(); }

void gbs_set_unit(gbs_bench *b, int unit) {
  static const benchmark::TimeUnit units[] = {
      benchmark::kNanosecond, benchmark::kMicrosecond, benchmark::kMillisecond,
      benchmark::kSecond};
  if (unit >= GBS_NS && unit <= GBS_S) B(b)->Unit(units[unit]);
}

void gbs_set_iterations(gbs_bench *b, int64_t n) {
  B(b)->Iterations(static_cast<benchmark::IterationCount>(n));
}
void gbs_set_repetitions(gbs_bench *b, int n) { B(b)->Repetitions(n); }
void gbs_set_min_time(gbs_bench *b, double seconds) { B(b)->MinTime(seconds); }

static double stat_p99(const std::vector<double> &v) {
  if (v.empty()) return 0;
  std::vector<double> s(v);
  std::sort(s.begin(), s.end());
  size_t i = static_cast<size_t>(0.99 * static_cast<double>(s.size() - 1) + 0.5);
  return s[i];
}
static double stat_max(const std::vector<double> &v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}
static double stat_min(const std::vector<double> &v) {
  return v.empty() ? 0 : *std::min_element(v.begin(), v.end());
}
void gbs_add_statistic_p99(gbs_bench *b) { B(b)->ComputeStatistics("p99", stat_p99); }
void gbs_add_statistic_max(gbs_bench *b) { B(b)->ComputeStatistics("max", stat_max); }
void gbs_add_statistic_min(gbs_bench *b) { B(b)->ComputeStatistics("min", stat_min); }

int gbs_keep_running(gbs_state *st) { return S(st).KeepRunning() ? 1 : 0; }
void gbs_pause_timing(gbs_state *st) { S(st).PauseTiming(); }
void gbs_resume_timing(gbs_state *st) { S(st).ResumeTiming(); }
void gbs_set_iteration_time(gbs_state *st, double seconds) {
  S(st).SetIterationTime(seconds);
}
void gbs_counter(gbs_state *st, const char *name, double value, int flags) {
  S(st).counters[name] =
      benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(flags));
}
void gbs_set_label(gbs_state *st, const char *label) { S(st).SetLabel(label); }
void gbs_skip_with_error(gbs_state *st, const char *msg) {
  S(st).SkipWithError(msg);
}
int64_t gbs_iterations(const gbs_state *st) {
  return static_cast<int64_t>(
      reinterpret_cast<const benchmark::State *>(st)->iterations());
}

void gbs_add_context(const char *key, const char *value) {
  benchmark::AddCustomContext(key, value);
}

// A display reporter that declines the run: RunSpecifiedBenchmarks then
// selects the benchmarks (or reports why none) and returns their count
// without running one.
namespace {
class Probe : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context &) override { return false; }
  void ReportRuns(const std::vector<Run> &) override {}
};
}  // namespace

size_t gbs_count_selected(char *err, size_t errlen) {
  Probe probe;
  std::ostringstream out, why;
  probe.SetOutputStream(&out);
  probe.SetErrorStream(&why);
  size_t n = benchmark::RunSpecifiedBenchmarks(&probe);
  if (err && errlen) {
    std::string line = why.str();
    line = line.substr(0, line.find('\n'));
    std::snprintf(err, errlen, "%s", line.c_str());
  }
  return n;
}

// Passes everything to `inner`, with the NaN of a cv aggregate (stddev /
// mean of a counter that is 0 in every repetition: counters are never
// negative, so mean 0 means no variation) reported as 0.
namespace {
class NanFreeCv : public benchmark::BenchmarkReporter {
 public:
  explicit NanFreeCv(benchmark::BenchmarkReporter *inner) : inner_(inner) {}
  bool ReportContext(const Context &c) override {
    inner_->SetOutputStream(&GetOutputStream());
    inner_->SetErrorStream(&GetErrorStream());
    return inner_->ReportContext(c);
  }
  void ReportRuns(const std::vector<Run> &runs) override {
    std::vector<Run> clean(runs);
    for (Run &r : clean) {
      if (r.run_type != Run::RT_Aggregate ||
          r.aggregate_unit != benchmark::StatisticUnit::kPercentage)
        continue;
      for (auto &kv : r.counters)
        if (std::isnan(kv.second.value)) kv.second.value = 0;
      if (std::isnan(r.real_accumulated_time)) r.real_accumulated_time = 0;
      if (std::isnan(r.cpu_accumulated_time)) r.cpu_accumulated_time = 0;
    }
    inner_->ReportRuns(clean);
  }
  void Finalize() override { inner_->Finalize(); }

 private:
  benchmark::BenchmarkReporter *inner_;
};
}  // namespace

size_t gbs_run_all(const char *out_format) {
  std::unique_ptr<benchmark::BenchmarkReporter> shown(
      benchmark::CreateDefaultDisplayReporter());
  NanFreeCv display(shown.get());
  if (!out_format) return benchmark::RunSpecifiedBenchmarks(&display);
  std::string f(out_format);
  std::unique_ptr<benchmark::BenchmarkReporter> written;
#pragma GCC diagnostic push  // still Google Benchmark's own --benchmark_out_format=csv
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  if (f == "csv")
    written.reset(new benchmark::CSVReporter);
  else if (f == "console")
    written.reset(new benchmark::ConsoleReporter(
        benchmark::ConsoleReporter::OO_None));
  else
    written.reset(new benchmark::JSONReporter);
#pragma GCC diagnostic pop
  NanFreeCv file(written.get());
  return benchmark::RunSpecifiedBenchmarks(&display, &file);
}
void gbs_shutdown(void) { benchmark::Shutdown(); }

}  // extern "C"
