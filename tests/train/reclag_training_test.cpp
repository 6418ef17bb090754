// sfnn_reclag_trainer: ReclagScorer::fit() trains xi with SfnnTrainer (same seed -> the xi a
// direct SfnnTrainer run gives), per class routes by logits, and beta/norm mismatches throw.
#include <catch2/catch.hpp>

#include <random>

#include <reclag/core/numeric.hpp>
#include <reclag/train/reclag_training.hpp>

using reclag::Index;
using M = reclag::RowMatrix<double>;

namespace {
M features(Index n, Index d, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    M x(n, d);
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < d; ++j) x(i, j) = u01(gen) + (j == i % d ? 1.0 : 0.0);
    return x;
}
}  // namespace

TEST_CASE("ReclagScorer trained through sfnn_reclag_trainer scores with the trainer's xi", "[train]") {
    const M x = features(40, 4, 1);
    reclag::SfnnTrainer<double>::Param p;
    p.n_hidden = 6;
    p.epochs = 3;
    p.batch_size = 10;
    const M xi = reclag::SfnnTrainer<double>(p).fit(x).xi;

    reclag::ReclagScorer<double> scorer;  // beta 5, norm 10 = the trainer's defaults
    scorer.set_trainer(reclag::sfnn_reclag_trainer<double>(p));
    scorer.fit(reclag::FeatureView<double>(x));
    const reclag::Vector<double> s = scorer.score(reclag::FeatureView<double>(x));
    const M xh = reclag::normalize_rows(x, 10.0);
    for (Index i = 0; i < x.rows(); ++i) {
        const reclag::Vector<double> a = 5.0 * (xi * xh.row(i).transpose());
        CHECK(s(i) == Approx(reclag::log_sum_exp(a)).epsilon(1e-12));
    }

    reclag::ReclagScorer<double> wrong_beta(reclag::ReclagScorer<double>::Param{2.0, 10.0, 0.95});
    wrong_beta.set_trainer(reclag::sfnn_reclag_trainer<double>(p));
    CHECK_THROWS_WITH(wrong_beta.fit(reclag::FeatureView<double>(x)), Catch::Contains("beta"));
}

TEST_CASE("public-code preset through the scorer: one xi per class, raw features", "[train]") {
    const M x = features(30, 3, 2);
    M logits(30, 2);
    reclag::LabelVector labels(30);
    for (Index i = 0; i < 30; ++i) {
        labels(i) = i % 2;
        logits(i, 0) = i % 2 == 0 ? 1.0 : 0.0;
        logits(i, 1) = 1.0 - logits(i, 0);
    }
    auto p = reclag::SfnnTrainer<double>::Param::public_code();
    p.epochs = 2;
    p.batch_size = 5;
    reclag::ReclagScorer<double> scorer(reclag::ReclagScorer<double>::Param{5.0, 0.0, 0.95});
    scorer.set_trainer(reclag::sfnn_reclag_trainer<double>(p, true));
    const reclag::FeatureView<double> split(x, logits, labels);
    scorer.fit(split);
    const auto direct = reclag::SfnnTrainer<double>(p).fit_per_class(split);
    const reclag::Vector<double> s = scorer.score(split);
    for (Index i = 0; i < 30; ++i) {
        const reclag::Vector<double> a = 5.0 * (direct[static_cast<std::size_t>(i % 2)].xi * x.row(i).transpose());
        CHECK(s(i) == Approx(reclag::log_sum_exp(a)).epsilon(1e-12));
    }
}
