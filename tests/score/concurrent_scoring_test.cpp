// Thread safety of score() (issue #6, item 4; the contract of score/scorer.hpp): EVERY scorer
// of the registry, fitted once (with a head, so ReAct, ViM, ASH and DICE are included; RecLag
// with a tiny trained xi, both set-ups), is scored from 4 std::threads at once through one shared
// const AnyScorer, many times, on the whole test batch and on slices of it, and every result is
// compared bit for bit with the single-threaded scores of the same rows. This is the test the
// ThreadSanitizer job of .ci/sanitizers.sh runs: a data race in any score() is a TSan report
// there, and a wrong value is a failure here in every build.
#include <catch2/catch.hpp>

#include <reclag/score/registry.hpp>

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

using reclag::Index;

namespace {

constexpr int kThreads = 4;
constexpr int kRepetitions = 25;
constexpr Index kClasses = 4, kDim = 16, kFitRows = 240, kTestRows = 300;
constexpr Index kSliceRows = 37, kSlices = 5;

/// Class c lives on feature block [4c, 4c + 4), non-negative like post-ReLU activations; the
/// head reads each block, so argmax(logits) is mostly the label (MHE, SHE and the per-class
/// RecLag need correctly classified rows of every class).
template <typename T>
struct Synthetic {
    reclag::RowMatrix<T> fit_x, fit_z, test_x, test_z, w;
    reclag::Vector<T> b;
    reclag::LabelVector fit_y;

    Synthetic() : w(kClasses, kDim), b(kClasses) {
        std::mt19937 gen(2025);
        auto u01 = [&gen] { return static_cast<double>(gen() >> 8) * 0x1.0p-24; };
        w.setZero();
        for (Index c = 0; c < kClasses; ++c) {
            for (Index j = 0; j < kDim / kClasses; ++j) w(c, c * (kDim / kClasses) + j) = T(1);
            b(c) = static_cast<T>(0.1 * static_cast<double>(c));
        }
        fit_y.resize(kFitRows);
        fit_x = sample(kFitRows, u01, &fit_y);
        test_x = sample(kTestRows, u01, nullptr);
        fit_z = logits(fit_x);
        test_z = logits(test_x);
    }

    template <typename U>
    reclag::RowMatrix<T> sample(Index n, U& u01, reclag::LabelVector* labels) {
        reclag::RowMatrix<T> x(n, kDim);
        for (Index i = 0; i < n; ++i) {
            const Index c = i % kClasses;
            if (labels != nullptr) (*labels)(i) = static_cast<std::int64_t>(c);
            for (Index j = 0; j < kDim; ++j) {
                const bool own = j / (kDim / kClasses) == c;
                x(i, j) = static_cast<T>((own ? 1.5 : 0.0) + 0.8 * u01());
            }
        }
        return x;
    }

    reclag::RowMatrix<T> logits(const reclag::RowMatrix<T>& x) const {
        return ((x * w.transpose()).rowwise() + b.transpose()).eval();
    }
};

template <typename T>
reclag::ScorerOptions<T> tiny_options() {
    reclag::ScorerOptions<T> o;
    o.knn.k = 10;
    o.knn.block_rows = 64;  // several row blocks per batch, so the blocked paths run concurrently
    o.mahalanobis.block_rows = 64;
    o.vim.block_rows = 64;
    o.reclag_training.n_hidden = 12;
    o.reclag_training.epochs = 2;
    o.reclag_training.batch_size = 32;
    o.reclag_code_training.n_hidden = 8;
    o.reclag_code_training.epochs = 2;
    o.reclag_code_training.batch_size = 16;
    return o;
}

template <typename T>
bool same_bits(const reclag::Vector<T>& a, const reclag::Vector<T>& b) {
    return a.size() == b.size() && (a.array() == b.array()).all();
}

}  // namespace

TEMPLATE_TEST_CASE("every registered scorer scores bit-identically from 4 threads on one fitted scorer",
                   "[score][threads]", float, double) {
    using T = TestType;
    const Synthetic<T> data;
    const reclag::ClassifierHead<T> head(data.w, data.b);
    const reclag::FeatureView<T> fit_view(data.fit_x, data.fit_z, data.fit_y);
    const reclag::FeatureView<T> test_view(data.test_x, data.test_z);
    const reclag::ScorerOptions<T> options = tiny_options<T>();

    for (const std::string& name : reclag::scorer_names()) {
        INFO("scorer " << name);
        reclag::AnyScorer<T> fitted = reclag::make_scorer<T>(name, options);
        fitted.fit(fit_view, head);
        REQUIRE(fitted.is_fitted());
        const reclag::AnyScorer<T>& shared = fitted;  // only const access from here on

        // Single-threaded references: the whole batch and kSlices slices of it.
        const reclag::Vector<T> whole = shared.score(test_view);
        REQUIRE(whole.size() == kTestRows);
        REQUIRE(whole.allFinite());
        std::vector<reclag::Vector<T>> slices;
        for (Index s = 0; s < kSlices; ++s) slices.push_back(shared.score(test_view.middle_rows(s * 50, kSliceRows)));

        std::atomic<int> ready{0};
        std::vector<int> mismatches(kThreads, 0), errors(kThreads, 0);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                ready.fetch_add(1);
                while (ready.load() < kThreads) std::this_thread::yield();  // start together
                try {
                    for (int r = 0; r < kRepetitions; ++r) {
                        if (!same_bits(shared.score(test_view), whole)) ++mismatches[static_cast<std::size_t>(t)];
                        const Index s = (t + r) % kSlices;
                        if (!same_bits(shared.score(test_view.middle_rows(s * 50, kSliceRows)), slices[static_cast<std::size_t>(s)]))
                            ++mismatches[static_cast<std::size_t>(t)];
                    }
                } catch (...) {
                    ++errors[static_cast<std::size_t>(t)];
                }
            });
        }
        for (auto& th : threads) th.join();
        for (int t = 0; t < kThreads; ++t) {
            INFO("thread " << t);
            CHECK(errors[static_cast<std::size_t>(t)] == 0);
            CHECK(mismatches[static_cast<std::size_t>(t)] == 0);
        }
        // And the scorer is unchanged by all that: the same scores once more.
        CHECK(same_bits(shared.score(test_view), whole));
    }
}
