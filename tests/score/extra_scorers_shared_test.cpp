// The extra scorers on the real fmnist-cnn512 features (../shared/data/fmnist-cnn512): fit on
// id_train (head = fc_weight / fc_bias), score id_test and the four OOD sets, compare with the
// independent NumPy/scipy/sklearn float64 reference (reference/extra/scores_<scorer>_<split>.npy,
// reference/extra/README.md).
// Tolerance: 1e-4 relative to the split's score scale, |a - b| <= 1e-4 (|b| + max_split |b|)
// (ViM's ID scores cross zero, where a purely relative bound means nothing), for float (the
// float32 inputs as given) and double (the float32 files widened exactly: the reference's inputs).
// Mahalanobis, ViM and GEN compute in double internally for float too (see their headers).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include <reclag/io/npy.hpp>
#include <reclag/score/ash.hpp>
#include <reclag/score/dice.hpp>
#include <reclag/score/gen.hpp>
#include <reclag/score/knn.hpp>
#include <reclag/score/mahalanobis.hpp>
#include <reclag/score/max_logit.hpp>
#include <reclag/score/vim.hpp>

#include "shared_data.hpp"

namespace {

const std::vector<std::string> kSplits = {"id_test", "ood_digits", "ood_gaussian", "ood_letters", "ood_uniform"};

std::string data_path(const std::string& file) { return reclag_test::fmnist_dir() + "/" + file; }

template <typename T>
struct Split {
    reclag::RowMatrix<T> x, z;
};

template <typename T>
struct Fmnist {
    reclag::RowMatrix<T> train_x, train_z, w;
    reclag::Vector<T> b;
    reclag::LabelVector train_y;
    std::vector<Split<T>> splits;

    Fmnist() {
        train_x = reclag::load_npy<reclag::RowMatrix<float>>(data_path("id_train_features.npy")).template cast<T>();
        train_z = reclag::load_npy<reclag::RowMatrix<float>>(data_path("id_train_logits.npy")).template cast<T>();
        train_y = reclag::load_npy<reclag::LabelVector>(data_path("id_train_labels.npy"));
        w = reclag::load_npy<reclag::RowMatrix<float>>(data_path("fc_weight.npy")).template cast<T>();
        b = reclag::load_npy<reclag::Vector<float>>(data_path("fc_bias.npy")).template cast<T>();
        for (const auto& s : kSplits)
            splits.push_back({reclag::load_npy<reclag::RowMatrix<float>>(data_path(s + "_features.npy")).template cast<T>(),
                              reclag::load_npy<reclag::RowMatrix<float>>(data_path(s + "_logits.npy")).template cast<T>()});
    }
    static const Fmnist& get() {
        static const Fmnist data;
        return data;
    }
    reclag::FeatureView<T> fit_view() const { return reclag::FeatureView<T>(train_x, train_z, train_y); }
    reclag::ClassifierHead<T> head() const { return reclag::ClassifierHead<T>(w, b); }
};

/// Scores every split with a fitted scorer and compares with reference/extra/scores_<file_name>_<split>.npy.
/// row_step > 1 scores every row_step-th row only (KNN: each query costs a pass over all 12,000
/// fit rows, and four fits x 17,000 queries dominated the whole suite's run time); the fit set
/// is always complete, so every compared row is the reference's exact quantity.
template <typename T, typename ScorerT>
void check_against_reference(const ScorerT& scorer, const std::string& file_name, Eigen::Index row_step = 1) {
    const auto& data = Fmnist<T>::get();
    double worst = 0.0;
    for (std::size_t s = 0; s < kSplits.size(); ++s) {
        const Eigen::Index n = data.splits[s].x.rows();
        const Eigen::Index m = (n + row_step - 1) / row_step;
        reclag::RowMatrix<T> x(m, data.splits[s].x.cols()), z(m, data.splits[s].z.cols());
        for (Eigen::Index i = 0; i < m; ++i) {
            x.row(i) = data.splits[s].x.row(i * row_step);
            z.row(i) = data.splits[s].z.row(i * row_step);
        }
        const reclag::FeatureView<T> view(x, z);
        const reclag::Vector<T> got = scorer.score(view);
        const Eigen::VectorXd ref_all = reclag::load_npy<Eigen::VectorXd>(
            data_path("reference/extra/scores_" + file_name + "_" + kSplits[s] + ".npy"));
        REQUIRE(ref_all.size() == n);
        Eigen::VectorXd ref(m);
        for (Eigen::Index i = 0; i < m; ++i) ref(i) = ref_all(i * row_step);
        REQUIRE(got.size() == ref.size());
        const double scale = ref.cwiseAbs().maxCoeff();
        Eigen::Index bad = 0;
        for (Eigen::Index i = 0; i < ref.size(); ++i) {
            const double err = std::abs(double(got(i)) - ref(i)) / (std::abs(ref(i)) + scale);
            worst = std::max(worst, err);
            if (!(err <= 1e-4)) {
                if (bad++ < 3) FAIL_CHECK(file_name << " " << kSplits[s] << " row " << i * row_step << ": " << double(got(i)) << " vs " << ref(i));
            }
        }
        CHECK(bad == 0);
    }
    std::printf("%-12s %-6s max scaled error %.3g\n", file_name.c_str(), std::is_same_v<T, float> ? "float" : "double", worst);
}

}  // namespace

TEMPLATE_TEST_CASE("maxlogit and gen match the reference on fmnist-cnn512", "[score][shared]", float, double) {
    const auto& data = Fmnist<TestType>::get();
    reclag::MaxLogitScorer<TestType> maxlogit;
    maxlogit.fit(data.fit_view(), data.head());
    check_against_reference<TestType>(maxlogit, "maxlogit");
    reclag::GenScorer<TestType> gen;  // OpenOOD defaults: gamma 0.1, M 100 (-> C = 10)
    gen.fit(data.fit_view(), data.head());
    check_against_reference<TestType>(gen, "gen");
}

TEMPLATE_TEST_CASE("knn (k = 50) matches the reference on fmnist-cnn512", "[score][shared][knn]", float, double) {
    const auto& data = Fmnist<TestType>::get();
    reclag::KnnScorer<TestType> knn;
    knn.fit(data.fit_view(), data.head());
    check_against_reference<TestType>(knn, "knn", 5);
    typename reclag::KnnScorer<TestType>::Param p;
    p.squared = true;
    reclag::KnnScorer<TestType> knn_sq(p);
    knn_sq.fit(data.fit_view());
    check_against_reference<TestType>(knn_sq, "knn_sq", 5);
}

TEMPLATE_TEST_CASE("mahalanobis matches the reference on fmnist-cnn512", "[score][shared][mahalanobis]", float, double) {
    const auto& data = Fmnist<TestType>::get();
    reclag::MahalanobisScorer<TestType> pinvh;
    pinvh.fit(data.fit_view());
    CHECK(pinvh.rank() == 512);  // fitted_params.json: pinvh_rank
    check_against_reference<TestType>(pinvh, "mahalanobis");
    // The covariance is full rank here, so the Cholesky solver must agree too.
    typename reclag::MahalanobisScorer<TestType>::Param p;
    p.solver = reclag::MahalanobisScorer<TestType>::Solver::cholesky;
    reclag::MahalanobisScorer<TestType> chol(p);
    chol.fit(data.fit_view());
    check_against_reference<TestType>(chol, "mahalanobis");
}

TEMPLATE_TEST_CASE("vim (dim 256) matches the reference on fmnist-cnn512", "[score][shared][vim]", float, double) {
    const auto& data = Fmnist<TestType>::get();
    reclag::VimScorer<TestType> vim;  // automatic dim: min(256, 512 / 2) = 256
    vim.fit(data.fit_view(), data.head());
    CHECK(vim.dim() == 256);
    CHECK(vim.alpha() == Approx(59.10620327266608).epsilon(1e-9));  // fitted_params.json: vim.alpha
    check_against_reference<TestType>(vim, "vim");
}

TEMPLATE_TEST_CASE("ash and dice match the reference on fmnist-cnn512", "[score][shared][ash][dice]", float, double) {
    const auto& data = Fmnist<TestType>::get();
    reclag::AshScorer<TestType> ash;  // p = 90
    ash.fit(data.fit_view(), data.head());
    CHECK(ash.k() == 51);
    check_against_reference<TestType>(ash, "ash");
    reclag::DiceScorer<TestType> dice;  // p = 90
    dice.fit(data.fit_view(), data.head());
    CHECK(dice.threshold() == Approx(0.03138700757440964).epsilon(1e-12));
    const auto mask = reclag::load_npy<Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        data_path("reference/extra/fit_dice_mask.npy"));
    REQUIRE(mask.rows() == dice.mask().rows());
    REQUIRE(mask.cols() == dice.mask().cols());
    CHECK((mask.template cast<bool>().array() == dice.mask().array()).all());
    CHECK(dice.mask().count() == 512);
    check_against_reference<TestType>(dice, "dice");
}
