// Steady-state scoring allocates nothing (issue #5): this executable interposes glibc's
// allocation functions (malloc, calloc, realloc, free, posix_memalign, aligned_alloc, memalign,
// and so operator new, which libstdc++ implements with malloc), forwarding to glibc's own
// __libc_* entry points and counting every call on an atomic counter. After a warm-up call, N
// repeated ReclagScorer::score(split, out, ws) calls at the same batch size (1, 256, 10 000;
// global and per-class xi; float and double; 1 thread) must perform ZERO allocations, and so
// must the logit-only scorers' score(split, out) into caller storage (see scorer.hpp).
//
// Not built under sanitizers (tests/CMakeLists.txt): ASan and TSan interpose malloc themselves.
#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <random>
#include <vector>

#include <reclag/score/energy.hpp>
#include <reclag/score/gen.hpp>
#include <reclag/score/max_logit.hpp>
#include <reclag/score/msp.hpp>
#include <reclag/score/reclag_scorer.hpp>
#include <reclag/score/she.hpp>

// ---- the counting allocator --------------------------------------------------------------

namespace {
std::atomic<long> g_allocations{0};  // calls that obtain memory (free is not counted)
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* p);

void* malloc(std::size_t size) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, size);
}
void free(void* p) noexcept { __libc_free(p); }
void* memalign(std::size_t alignment, std::size_t size) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void* p = __libc_memalign(alignment, size);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}
}  // extern "C"

namespace {

/// Keeps the compiler from eliding an unused allocation (GCC removes malloc/free pairs).
void escape(void* p) { asm volatile("" : : "g"(p) : "memory"); }

long allocations() { return g_allocations.load(std::memory_order_relaxed); }

using reclag::Index;
using reclag::RowMatrix;
using reclag::Vector;

constexpr Index kDim = 512, kHidden = 250, kClasses = 10, kRepeats = 5;

template <typename T>
RowMatrix<T> random_matrix(std::mt19937& gen, Index r, Index c, double shift, bool relu) {
    std::normal_distribution<double> nd(0.0, 1.0);
    RowMatrix<T> m(r, c);
    for (Index i = 0; i < r; ++i)
        for (Index j = 0; j < c; ++j) {
            const double v = shift + nd(gen);
            m(i, j) = static_cast<T>(relu ? std::max(0.0, v) : v);
        }
    return m;
}

/// Allocations made by `repeats` calls of f() after one warm-up call.
template <typename F>
long steady_state_allocations(F&& f, int repeats = static_cast<int>(kRepeats)) {
    f();  // warm-up: workspaces grow here
    const long before = allocations();
    for (int k = 0; k < repeats; ++k) f();
    return allocations() - before;
}

}  // namespace

TEST_CASE("the counting allocator sees malloc, operator new and Eigen's allocations", "[score][alloc]") {
    const long before = allocations();
    void* p = std::malloc(10);
    escape(p);
    std::free(p);
    auto* q = new int(3);
    escape(q);
    delete q;
    Vector<float> v(1000);
    escape(v.data());
    CHECK(allocations() - before == 3);
}

TEMPLATE_TEST_CASE("ReclagScorer::score(split, out, ws) allocates nothing after a warm-up call", "[score][alloc][reclag]",
                   float, double) {
    using T = TestType;
    std::mt19937 gen(5);
    const Index n = GENERATE(Index(1), Index(256), Index(10000));
    const bool routed = GENERATE(false, true);
    INFO("n " << n << (routed ? ", per-class xi" : ", global xi"));
    const RowMatrix<T> x = random_matrix<T>(gen, n, kDim, 0.3, true);
    // two sets of logits: the routed calls alternate between two different class mixes
    const RowMatrix<T> z1 = random_matrix<T>(gen, n, kClasses, 0.0, false);
    const RowMatrix<T> z2 = random_matrix<T>(gen, n, kClasses, 0.0, false);
    std::vector<RowMatrix<T>> xi;
    for (Index c = 0; c < (routed ? kClasses : 1); ++c) xi.push_back(random_matrix<T>(gen, kHidden, kDim, 0.0, false) * T(0.05));
    reclag::ReclagScorer<T> scorer = routed ? reclag::ReclagScorer<T>(xi) : reclag::ReclagScorer<T>(xi.front());
    scorer.set_log_gamma(T(0));
    const reclag::FeatureView<T> v1(x, z1), v2(x, z2);
    Vector<T> out(n);
    typename reclag::ReclagScorer<T>::Workspace ws;  // 1 thread
    int call = 0;
    const long counted = steady_state_allocations([&] { scorer.score(call++ % 2 ? v2 : v1, out, ws); });
    CHECK(counted == 0);
    CHECK(out.allFinite());
    // the allocating forms do allocate (the counter works on this path)
    const long before = allocations();
    const Vector<T> fresh = scorer.score(v1);
    CHECK(allocations() - before > 0);
}

TEMPLATE_TEST_CASE("logit scorers' score(split, out) allocate nothing", "[score][alloc]", float, double) {
    using T = TestType;
    std::mt19937 gen(6);
    const Index n = GENERATE(Index(1), Index(256), Index(10000));
    INFO("n " << n);
    const RowMatrix<T> x = random_matrix<T>(gen, n, kDim, 0.3, true);
    const RowMatrix<T> z = random_matrix<T>(gen, n, kClasses, 0.0, false);
    RowMatrix<T> fit_z = random_matrix<T>(gen, 200, kClasses, 0.0, false);
    const RowMatrix<T> fit_x = random_matrix<T>(gen, 200, kDim, 0.3, true);
    reclag::LabelVector fit_y(200);
    for (Index i = 0; i < 200; ++i) {
        fit_y(i) = i % kClasses;
        fit_z(i, i % kClasses) += T(100);  // correctly classified: SHE keeps every row
    }
    const reclag::FeatureView<T> fit(fit_x, fit_z, fit_y), view(x, z);
    Vector<T> out(n);
    reclag::EnergyScorer<T> energy;
    reclag::MspScorer<T> msp;
    reclag::MaxLogitScorer<T> maxlogit;
    reclag::GenScorer<T> gen_scorer;  // C = 10 <= top_m: the block path (the top-M < C path allocates)
    reclag::SheScorer<T> she;
    energy.fit(fit);
    msp.fit(fit);
    maxlogit.fit(fit);
    gen_scorer.fit(fit);
    she.fit(fit);
    CHECK(steady_state_allocations([&] { energy.score(view, out); }) == 0);
    CHECK(steady_state_allocations([&] { msp.score(view, out); }) == 0);
    CHECK(steady_state_allocations([&] { maxlogit.score(view, out); }) == 0);
    CHECK(steady_state_allocations([&] { gen_scorer.score(view, out); }) == 0);
    CHECK(steady_state_allocations([&] { she.score(view, out); }) == 0);
}
