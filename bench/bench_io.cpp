// .npy load of a 100 MiB float32 file (51 200 x 512, C order, written to /tmp by the fixture)
// beside plain fread of the same bytes: into a freshly allocated buffer (what load_npy must do:
// allocate the matrix, then read; the fresh pages are faulted in during the read) and into a
// reused, already-touched buffer (the page-cache memcpy floor).
#include <cstdio>
#include <memory>
#include <string>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_common.hpp"

#include "reclag/io/npy.hpp"

namespace {

using namespace reclag_bench;

constexpr Index kRows = 51200;  // x 512 floats = 100 MiB
constexpr std::size_t kBytes = sizeof(float) * static_cast<std::size_t>(kRows) * static_cast<std::size_t>(kDim);

/// Written once per process (pid in the name: parallel runs do not clash), removed at exit.
struct NpyFile {
    std::string path = "/tmp/reclag_bench_" + std::to_string(::getpid()) + ".npy";
    long data_offset = 0;
    NpyFile() {
        Mat m(kRows, kDim);
        for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(i % 1021) * 0.25f;
        reclag::save_npy(path, m);
        std::FILE* f = std::fopen(path.c_str(), "rb");
        std::fseek(f, 0, SEEK_END);
        data_offset = std::ftell(f) - static_cast<long>(kBytes);
        std::fclose(f);
    }
    ~NpyFile() { std::remove(path.c_str()); }
};
const NpyFile& npy_file() {
    static const NpyFile f;
    return f;
}

void read_raw(const NpyFile& file, float* dst) {
    std::FILE* f = std::fopen(file.path.c_str(), "rb");
    std::fseek(f, file.data_offset, SEEK_SET);
    const std::size_t got = std::fread(dst, 1, kBytes, f);
    std::fclose(f);
    if (got != kBytes) std::abort();
}

void BM_FreadFresh(benchmark::State& state) {
    const NpyFile& file = npy_file();
    for (auto _ : state) {
        std::unique_ptr<float[]> buf(new float[kBytes / sizeof(float)]);  // not value-initialised
        read_raw(file, buf.get());
        benchmark::DoNotOptimize(buf.get());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(kBytes));
}

/// What numpy.load gets for free (NumPy >= 1.22 madvises large arrays): a 2 MiB-aligned
/// allocation advised MADV_HUGEPAGE, so the read faults in 50 huge pages instead of 25 600.
void BM_FreadHugepage(benchmark::State& state) {
    const NpyFile& file = npy_file();
    constexpr std::size_t align = std::size_t(1) << 21;
    for (auto _ : state) {
        void* p = std::aligned_alloc(align, (kBytes + align - 1) / align * align);
        ::madvise(p, kBytes, MADV_HUGEPAGE);
        read_raw(file, static_cast<float*>(p));
        benchmark::DoNotOptimize(p);
        std::free(p);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(kBytes));
}

void BM_FreadReuse(benchmark::State& state) {
    const NpyFile& file = npy_file();
    std::vector<float> buf(kBytes / sizeof(float), 0.0f);
    for (auto _ : state) {
        read_raw(file, buf.data());
        benchmark::DoNotOptimize(buf.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(kBytes));
}

void BM_NpyLoad(benchmark::State& state) {
    const NpyFile& file = npy_file();
    for (auto _ : state) {
        Mat m = reclag::load_npy<Mat>(file.path);
        benchmark::DoNotOptimize(m.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(kBytes));
}

}  // namespace

BENCHMARK(BM_FreadFresh)->Name("fread_fresh")->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FreadHugepage)->Name("fread_hugepage")->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FreadReuse)->Name("fread_reuse")->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NpyLoad)->Name("npy_load")->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

RECLAG_BENCHMARK_MAIN()
