// Steady-state scoring allocates nothing (issue #5): this executable interposes glibc's
// allocation functions (malloc, calloc, realloc, free, posix_memalign, aligned_alloc, memalign,
// and so operator new, which libstdc++ implements with malloc), forwarding to glibc's own
// __libc_* entry points and counting every call on an atomic counter. After a warm-up call, N
// repeated ReclagScorer::score(split, out, ws) calls at the same batch size (1, 256, 10 000;
// global and per-class xi; float and double; 1 thread) must perform ZERO allocations, and so
// must the logit-only scorers' score(split, out) into caller storage (see scorer.hpp) and the
// block-wise scorers' score(split, out, ws) with a reused ScoreWorkspace (ReAct, ASH, DICE,
// MHE, KNN, Mahalanobis with either solver, ViM; at 1, 256 and 3 000 rows: one block, and
// several blocks with a shorter last one), and AnyScorer::score(split, out, ws) with an
// AnyScorer::Workspace, whichever of those it wraps.
//
// Not built under sanitizers (tests/CMakeLists.txt): ASan and TSan interpose malloc themselves.
#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <random>
#include <utility>
#include <vector>

#include <reclag/score/any_scorer.hpp>
#include <reclag/score/ash.hpp>
#include <reclag/score/dice.hpp>
#include <reclag/score/energy.hpp>
#include <reclag/score/gen.hpp>
#include <reclag/score/knn.hpp>
#include <reclag/score/mahalanobis.hpp>
#include <reclag/score/max_logit.hpp>
#include <reclag/score/mhe.hpp>
#include <reclag/score/msp.hpp>
#include <reclag/score/react.hpp>
#include <reclag/score/reclag_scorer.hpp>
#include <reclag/score/she.hpp>
#include <reclag/score/vim.hpp>

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

namespace {

/// 600 fit rows of width `dim`, every one correctly classified (MHE keeps them all as
/// patterns), and a classifier head of that width.
template <typename T>
struct LabelledFit {
    RowMatrix<T> x, z;
    reclag::LabelVector y;
    reclag::ClassifierHead<T> head;
    LabelledFit(std::mt19937& gen, Index dim)
        : x(random_matrix<T>(gen, 600, dim, 0.3, true)), z(random_matrix<T>(gen, 600, kClasses, 0.0, false)), y(600),
          head(random_matrix<T>(gen, kClasses, dim, 0.0, false) * T(0.05),
               random_matrix<T>(gen, 1, kClasses, 0.0, false).transpose()) {
        for (Index i = 0; i < y.size(); ++i) {
            y(i) = i % kClasses;
            z(i, i % kClasses) += T(100);
        }
    }
    reclag::FeatureView<T> view() const { return reclag::FeatureView<T>(x, z, y); }
};

/// Two batches of n rows with different features and logits (so per-class routing changes
/// from one to the other).
template <typename T>
struct TwoBatches {
    RowMatrix<T> x1, x2, z1, z2;
    TwoBatches(std::mt19937& gen, Index n, Index dim)
        : x1(random_matrix<T>(gen, n, dim, 0.3, true)), x2(random_matrix<T>(gen, n, dim, 0.3, true)),
          z1(random_matrix<T>(gen, n, kClasses, 0.0, false)), z2(random_matrix<T>(gen, n, kClasses, 0.0, false)) {}
    reclag::FeatureView<T> first() const { return reclag::FeatureView<T>(x1, z1); }
    reclag::FeatureView<T> second() const { return reclag::FeatureView<T>(x2, z2); }
};

/// For n = 1, 256, 3000: repeated score(split, out, ws) calls, alternating two splits (two
/// feature and logit draws, so per-class routing changes between calls), allocate nothing
/// after one warm-up call; one score(split, out) without a workspace does allocate.
template <typename T, typename S>
void check_workspace_scoring(const S& scorer, Index dim, std::mt19937& gen) {
    INFO("scorer " << S::name);
    for (const Index n : {Index(1), Index(256), Index(3000)}) {
        INFO("n " << n);
        const TwoBatches<T> batches(gen, n, dim);
        const reclag::FeatureView<T> v1 = batches.first(), v2 = batches.second();
        Vector<T> out(n);
        typename S::Workspace ws;
        int call = 0;
        CHECK(steady_state_allocations([&] { scorer.score(call++ % 2 ? v2 : v1, out, ws); }) == 0);
        CHECK(out.allFinite());
        // the same numbers as without a workspace, which allocates its scratch per call
        Vector<T> fresh(n);
        const long before = allocations();
        scorer.score(call % 2 ? v2 : v1, fresh, ws);
        CHECK(allocations() == before);
        const Vector<T> reused = fresh;
        const long before_fresh = allocations();
        scorer.score(call % 2 ? v2 : v1, fresh);
        CHECK(allocations() - before_fresh > 0);
        CHECK(fresh == reused);
    }
}

/// A scorer S with its default Param, fitted (with the head: every scorer takes one), then checked.
template <typename S, typename T>
void fit_and_check(const LabelledFit<T>& fit, Index dim, std::mt19937& gen) {
    S s;
    s.fit(fit.view(), fit.head);
    check_workspace_scoring<T>(s, dim, gen);
}

}  // namespace

TEMPLATE_TEST_CASE("block-wise scorers' score(split, out, ws) allocate nothing after a warm-up call",
                   "[score][alloc]", float, double) {
    using T = TestType;
    std::mt19937 gen(7);
    const LabelledFit<T> fit(gen, kDim);

    SECTION("ReAct") { fit_and_check<reclag::ReActScorer<T>>(fit, kDim, gen); }
    SECTION("ASH") { fit_and_check<reclag::AshScorer<T>>(fit, kDim, gen); }
    SECTION("DICE") { fit_and_check<reclag::DiceScorer<T>>(fit, kDim, gen); }
    SECTION("MHE (rows routed to their predicted class's patterns)") { fit_and_check<reclag::MheScorer<T>>(fit, kDim, gen); }
    SECTION("KNN") { fit_and_check<reclag::KnnScorer<T>>(fit, kDim, gen); }
    // Mahalanobis and ViM fit a covariance or an SVD: D = 128 keeps that fast at the tests' -O1
    // (their scoring GEMMs still exceed Eigen's stack limit for packing buffers: 1024 x 128 doubles).
    constexpr Index small_dim = 128;
    const LabelledFit<T> small_fit(gen, small_dim);
    SECTION("Mahalanobis, pinvh and Cholesky") {
        using M = reclag::MahalanobisScorer<T>;
        for (const auto solver : {M::Solver::pinvh, M::Solver::cholesky}) {
            typename M::Param p;
            p.solver = solver;
            M s(p);
            s.fit(small_fit.view());
            check_workspace_scoring<T>(s, small_dim, gen);
        }
    }
    SECTION("ViM") { fit_and_check<reclag::VimScorer<T>>(small_fit, small_dim, gen); }
}

TEMPLATE_TEST_CASE("AnyScorer::score(split, out, ws) allocates nothing after a warm-up call and scores as the wrapped scorer",
                   "[score][alloc][any]", float, double) {
    using T = TestType;
    std::mt19937 gen(8);
    const LabelledFit<T> fit(gen, kDim);
    std::vector<RowMatrix<T>> xi;
    for (Index c = 0; c < kClasses; ++c) xi.push_back(random_matrix<T>(gen, kHidden, kDim, 0.0, false) * T(0.05));

    reclag::ReclagScorer<T> reclag_global(xi.front()), reclag_routed(xi);  // RecLag: ReclagWorkspace
    reclag_global.set_log_gamma(T(0));
    reclag_routed.set_log_gamma(T(0));
    reclag::ReActScorer<T> react;  // block-wise: ScoreWorkspace
    react.fit(fit.view(), fit.head);
    reclag::MheScorer<T> mhe;
    mhe.fit(fit.view());
    reclag::EnergyScorer<T> energy;  // no workspace: score(split, out)
    energy.fit(fit.view());
    const std::vector<std::pair<reclag::AnyScorer<T>, reclag::AnyScorer<T>>> wrapped = {
        {reclag_global, reclag_global}, {reclag_routed, reclag_routed}, {react, react}, {mhe, mhe}, {energy, energy}};

    for (const Index n : {Index(1), Index(256), Index(3000)}) {
        const TwoBatches<T> batches(gen, n, kDim);
        const reclag::FeatureView<T> v1 = batches.first(), v2 = batches.second();
        Vector<T> out(n);
        typename reclag::AnyScorer<T>::Workspace ws;  // one workspace serves every scorer in turn
        for (const auto& [any, reference] : wrapped) {
            INFO("scorer " << any.scorer_name() << ", n " << n);
            int call = 0;
            CHECK(steady_state_allocations([&] { any.score(call++ % 2 ? v2 : v1, out, ws); }) == 0);
            any.score(v1, out, ws);
            CHECK(out == reference.score(v1));  // same code as the concrete scorer's own score()
            Vector<T> direct(n);
            any.score(v2, direct);
            CHECK(direct == reference.score(v2));
        }
    }
}
