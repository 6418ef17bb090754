// float vs double on the real fmnist-cnn512 features (../shared/data/fmnist-cnn512): every
// registered scorer that needs no SFNN training (all but reclag_code; RecLag itself uses the
// reference's trained xi, reference/xi.npy, in both precisions) is fitted in float and in
// double on the same rows and scores the same rows. The data are float32 files, widened exactly
// for double, so both precisions see identical inputs and any difference is float arithmetic.
//
// Rows: fit on the first 3000 id_train rows (300 per class on average; every class has
// correctly classified rows), score the first 2000 id_test rows and the first 1000 rows of
// ood_digits and ood_letters: ~4 s of CPU at -O3 for both precisions.
//
// Tolerance, per score: |f - d| <= 1e-4 (|d| + m), m = max |d| over the scored rows (the
// scorer's score scale). Why: every score is an inner product of D = 512 float terms (GEMM
// against the head, xi, the stored patterns or the fit set) followed by a well-conditioned
// reduction (LSE, softmax, max, mean, a k-th distance). A float dot product of n terms has error
// <= n eps sum|a_i b_i| in the worst case and ~sqrt(n) eps sum|a_i b_i| in practice
// (sqrt(512) * 6e-8 = 1.4e-6), and sum|a_i b_i| is at most of the order of the score scale m
// here (ReLU features are non-negative). LSE and softmax have relative condition number <= 1
// in their inputs' scale; KNN's distance, percentiles and max are 1-Lipschitz. 1e-4 leaves
// two orders of magnitude for the accumulation of these. Scores that cross zero (ViM, SHE,
// Mahalanobis) are why the bound carries m and not just |d|. Mahalanobis, ViM and GEN compute
// in double internally for float too, so they agree far better. The one less benign case is
// KNN: its distance comes from ||a||^2 + ||b||^2 - 2 a.b of unit vectors, whose float error
// ~4 eps is divided by 2 d in the square root, so a near neighbour (d ~ 0.02) gets ~6e-6 of
// absolute error; measured worst 6.7e-6 of the bound's denominator, 15x below 1e-4.
// Measured (printed by the test): every other scorer <= 6.4e-7.
// Rankings: AUROC (ID vs each OOD set) in float and double differ by < 1e-4 (out of 2e6 pairs,
// at most 200 pairs flipped), the quantity a user actually reports.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <reclag/io/npy.hpp>
#include <reclag/metrics/ood_metrics.hpp>
#include <reclag/score/registry.hpp>

#include "shared_data.hpp"

namespace {

std::string data_path(const std::string& file) { return reclag_test::fmnist_dir() + "/" + file; }

reclag::RowMatrix<float> load_rows(const std::string& file, Eigen::Index rows) {
    const reclag::RowMatrix<float> m = reclag::load_npy<reclag::RowMatrix<float>>(data_path(file));
    REQUIRE(m.rows() >= rows);
    return m.topRows(rows);
}

/// The float32 data as given; the double copies are exact widenings.
struct Data {
    reclag::RowMatrix<float> fit_x, fit_z, w, xi;
    reclag::Vector<float> b;
    reclag::LabelVector fit_y;
    reclag::RowMatrix<float> id_x, id_z, ood_x[2], ood_z[2];

    Data() {
        const Eigen::Index n_fit = 3000, n_id = 2000, n_ood = 1000;
        fit_x = load_rows("id_train_features.npy", n_fit);
        fit_z = load_rows("id_train_logits.npy", n_fit);
        fit_y = reclag::load_npy<reclag::LabelVector>(data_path("id_train_labels.npy")).head(n_fit);
        w = reclag::load_npy<reclag::RowMatrix<float>>(data_path("fc_weight.npy"));
        b = reclag::load_npy<reclag::Vector<float>>(data_path("fc_bias.npy"));
        xi = reclag::load_npy<reclag::RowMatrix<float>>(data_path("reference/xi.npy"));
        id_x = load_rows("id_test_features.npy", n_id);
        id_z = load_rows("id_test_logits.npy", n_id);
        const char* ood[2] = {"ood_digits", "ood_letters"};
        for (int k = 0; k < 2; ++k) {
            ood_x[k] = load_rows(std::string(ood[k]) + "_features.npy", n_ood);
            ood_z[k] = load_rows(std::string(ood[k]) + "_logits.npy", n_ood);
        }
    }
};

const Data& data() {
    static const Data d;
    return d;
}

/// Scores of [id, ood_digits, ood_letters] by a scorer fitted in precision T.
template <typename T>
std::vector<reclag::Vector<T>> scores_in(const std::string& name) {
    const Data& d = data();
    const reclag::RowMatrix<T> fx = d.fit_x.cast<T>(), fz = d.fit_z.cast<T>(), w = d.w.cast<T>();
    const reclag::Vector<T> b = d.b.cast<T>();
    reclag::ScorerOptions<T> opt;
    opt.reclag_xi = d.xi.cast<T>();  // the reference's trained xi: no SFNN training here
    reclag::AnyScorer<T> s = reclag::make_scorer<T>(name, opt);
    s.fit(reclag::FeatureView<T>(fx, fz, d.fit_y), reclag::ClassifierHead<T>(w, b));
    std::vector<reclag::Vector<T>> out;
    const reclag::RowMatrix<T> ix = d.id_x.cast<T>(), iz = d.id_z.cast<T>();
    out.push_back(s.score(reclag::FeatureView<T>(ix, iz)));
    for (int k = 0; k < 2; ++k) {
        const reclag::RowMatrix<T> ox = d.ood_x[k].cast<T>(), oz = d.ood_z[k].cast<T>();
        out.push_back(s.score(reclag::FeatureView<T>(ox, oz)));
    }
    return out;
}

}  // namespace

TEST_CASE("float and double scores agree within float tolerance on real features, every scorer without training",
          "[reliability][float_double][shared]") {
    std::vector<std::string> names = reclag::scorer_names();
    names.erase(std::remove(names.begin(), names.end(), std::string("reclag_code")), names.end());  // needs SFNN training
    REQUIRE(names.size() == 13);
    for (const std::string& name : names) {
        INFO("scorer " << name);
        const auto f = scores_in<float>(name);
        const auto d = scores_in<double>(name);
        double m = 0.0;
        for (const auto& v : d) m = std::max(m, v.cwiseAbs().maxCoeff());
        double worst = 0.0;  // max |f - d| / (|d| + m)
        for (std::size_t k = 0; k < d.size(); ++k) {
            REQUIRE(f[k].size() == d[k].size());
            for (Eigen::Index i = 0; i < d[k].size(); ++i) {
                const double fd = static_cast<double>(f[k](i)), dd = d[k](i);
                REQUIRE(std::isfinite(fd));
                const double dev = std::abs(fd - dd) / (std::abs(dd) + m);
                worst = std::max(worst, dev);
                if (dev > 1e-4) {
                    INFO("set " << k << " row " << i << ": float " << fd << ", double " << dd << ", scale " << m);
                    CHECK(dev <= 1e-4);
                }
            }
        }
        double auroc_gap = 0.0;
        for (std::size_t k = 1; k < d.size(); ++k) {
            const double af = reclag::auroc(f[0], f[k]), ad = reclag::auroc(d[0], d[k]);
            auroc_gap = std::max(auroc_gap, std::abs(af - ad));
            INFO("OOD set " << k << ": AUROC float " << af << ", double " << ad);
            CHECK(std::abs(af - ad) < 1e-4);
        }
        std::printf("float vs double, %-12s worst |f - d| / (|d| + m) = %.2e (m = %.4g), worst AUROC gap %.2e\n", name.c_str(),
                    worst, m, auroc_gap);
    }
}
