// The five baselines on the real fmnist-cnn512 features (../shared/data/fmnist-cnn512): fit on
// id_train, score id_test and the four OOD sets, compare with the independent NumPy float64
// reference (reference/scores_<scorer>_<split>.npy, reference/react_threshold.json).
// float: 1e-4 relative (the reference ran in float64 on the same float32 inputs);
// double (the float32 files widened exactly): 1e-12 relative (observed: ~1e-15; float ~1e-6).
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>
#include <vector>

#include <reclag/io/npy.hpp>
#include <reclag/score/energy.hpp>
#include <reclag/score/mhe.hpp>
#include <reclag/score/msp.hpp>
#include <reclag/score/react.hpp>
#include <reclag/score/she.hpp>

#include "golden.hpp"
#include "json.hpp"
#include "shared_data.hpp"

namespace {

const std::vector<std::string> kSplits = {"id_test", "ood_digits", "ood_gaussian", "ood_letters", "ood_uniform"};

std::string data_path(const std::string& file) { return reclag_test::fmnist_dir() + "/" + file; }

template <typename T>
struct Split {
    reclag::RowMatrix<T> x, z;
};

/// The data set in Scalar T, loaded once per T (the float32 files widened exactly for double).
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

template <typename T>
double rel_tol() {
    return std::is_same_v<T, double> ? 1e-12 : 1e-4;
}

/// Fits `scorer` on id_train (with the head) and compares every split with the reference.
template <typename Scorer>
void check_against_reference(Scorer& scorer) {
    using T = typename Scorer::Scalar;
    const auto& data = Fmnist<T>::get();
    scorer.fit(data.fit_view(), data.head());
    for (std::size_t k = 0; k < kSplits.size(); ++k) {
        const std::string file = std::string("reference/scores_") + Scorer::name + "_" + kSplits[k] + ".npy";
        const Eigen::VectorXd expected = reclag::load_npy<Eigen::VectorXd>(data_path(file));
        const reclag::Vector<T> got = scorer.score(reclag::FeatureView<T>(data.splits[k].x, data.splits[k].z));
        REQUIRE(got.size() == expected.size());
        double worst = 0;
        Eigen::Index worst_row = 0;
        for (Eigen::Index i = 0; i < got.size(); ++i) {
            const double rel = std::abs(static_cast<double>(got(i)) - expected(i)) / std::abs(expected(i));
            if (!(rel <= worst)) {
                worst = rel;
                worst_row = i;
            }
        }
        INFO(Scorer::name << " on " << kSplits[k] << ": worst relative deviation " << worst << " at row " << worst_row
                          << " (got " << got(worst_row) << ", expected " << expected(worst_row) << ")");
        CHECK(worst <= rel_tol<T>());
    }
}

}  // namespace

TEMPLATE_TEST_CASE("MSP matches the reference on fmnist-cnn512", "[score][msp][shared]", float, double) {
    reclag::MspScorer<TestType> s;
    check_against_reference(s);
}

TEMPLATE_TEST_CASE("Energy matches the reference on fmnist-cnn512", "[score][energy][shared]", float, double) {
    reclag::EnergyScorer<TestType> s;
    check_against_reference(s);
}

TEMPLATE_TEST_CASE("ReAct threshold and scores match the reference on fmnist-cnn512", "[score][react][shared]", float, double) {
    const auto ref = reclag_test::parse_json_file(data_path("reference/react_threshold.json"));
    reclag::ReActScorer<TestType> s({ref["percentile"].as_double()});
    check_against_reference(s);
    // Computed in double from the same float32 values with NumPy's formula: equal to the last bit or two.
    CHECK(reclag_test::close(s.threshold(), ref["threshold"].as_double(), 1e-15, 0.0));
    CHECK(static_cast<double>(Fmnist<TestType>::get().train_x.size()) == ref["n_values"].as_double());
}

TEMPLATE_TEST_CASE("MHE (beta = 1) matches the reference on fmnist-cnn512", "[score][mhe][shared]", float, double) {
    reclag::MheScorer<TestType> s;
    check_against_reference(s);
    // run_info.json's sanity check: the stored patterns per class.
    const auto info = reclag_test::parse_json_file(data_path("reference/run_info.json"));
    const auto& counts = info["sanity"]["patterns_per_class"];
    const std::vector<reclag::Index> got = s.pattern_counts();
    REQUIRE(got.size() == counts.size());
    for (std::size_t c = 0; c < got.size(); ++c) CHECK(static_cast<double>(got[c]) == counts[c].as_double());
}

TEMPLATE_TEST_CASE("SHE matches the reference on fmnist-cnn512", "[score][she][shared]", float, double) {
    reclag::SheScorer<TestType> s;
    check_against_reference(s);
}
