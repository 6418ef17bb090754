// RecLag on the real reference (shared/data/fmnist-cnn512/reference): scores with the saved xi,
// the calibrated log gamma, the stored 5-step RecLag / vanilla trajectories and G along them.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <reclag/dynamics/hopfield_dynamics.hpp>
#include <reclag/dynamics/scores_over_time.hpp>
#include <reclag/io/npy.hpp>
#include <reclag/lagrangian/log_sum_exp.hpp>
#include <reclag/lagrangian/quadratic.hpp>
#include <reclag/lagrangian/rectified.hpp>
#include <reclag/score/reclag_scorer.hpp>

#include "golden.hpp"
#include "json.hpp"
#include "shared_data.hpp"

using reclag::RowMatrix;
using reclag::Vector;

namespace {

const char* const kSplits[] = {"id_test", "ood_digits", "ood_gaussian", "ood_letters", "ood_uniform"};

std::string ref_dir() { return reclag_test::fmnist_dir() + "/reference"; }

/// TEST-ONLY reader for the 3-D '<f8' C-order v1.0 .npy trajectories (n, K+1, D): reclag's
/// load_npy reads 1-D and 2-D arrays only. Returns the shape and the flat data.
struct Array3 {
    long d0 = 0, d1 = 0, d2 = 0;
    std::vector<double> data;
    double at(long i, long k, long d) const { return data[static_cast<std::size_t>((i * d1 + k) * d2 + d)]; }
};

Array3 read_npy3_f8_test_only(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    REQUIRE(f != nullptr);
    char magic[8];
    REQUIRE(std::fread(magic, 1, 8, f.get()) == 8);
    REQUIRE(std::memcmp(magic, "\x93NUMPY\x01\x00", 8) == 0);
    unsigned char len_bytes[2];
    REQUIRE(std::fread(len_bytes, 1, 2, f.get()) == 2);
    std::string header(static_cast<std::size_t>(len_bytes[0] | (len_bytes[1] << 8)), '\0');
    REQUIRE(std::fread(&header[0], 1, header.size(), f.get()) == header.size());
    REQUIRE(header.find("'descr': '<f8'") != std::string::npos);
    REQUIRE(header.find("'fortran_order': False") != std::string::npos);
    Array3 a;
    const auto p = header.find("'shape': (");
    REQUIRE(p != std::string::npos);
    REQUIRE(std::sscanf(header.c_str() + p + 10, "%ld, %ld, %ld", &a.d0, &a.d1, &a.d2) == 3);
    a.data.resize(static_cast<std::size_t>(a.d0 * a.d1 * a.d2));
    REQUIRE(std::fread(a.data.data(), sizeof(double), a.data.size(), f.get()) == a.data.size());
    return a;
}

double max_rel_dev(const Vector<double>& got, const Eigen::VectorXd& ref) {
    double m = 0;
    for (Eigen::Index i = 0; i < ref.size(); ++i) m = std::max(m, std::abs(got(i) - ref(i)) / std::max(1.0, std::abs(ref(i))));
    return m;
}

}  // namespace

TEST_CASE("RecLag scores with the saved xi equal scores_reclag_<split>.npy", "[score][reclag][shared]") {
    const std::string dir = reclag_test::fmnist_dir();
    const RowMatrix<float> xi = reclag::load_npy<RowMatrix<float>>(ref_dir() + "/xi.npy");
    const reclag::ReclagScorer<float> scorer_f = [&] {
        reclag::ReclagScorer<float> s(xi);
        s.set_log_gamma(0.0f);
        return s;
    }();
    const RowMatrix<double> xid = xi.cast<double>();
    for (const char* split : kSplits) {
        INFO("split " << split);
        const RowMatrix<float> x = reclag::load_npy<RowMatrix<float>>(dir + "/" + split + "_features.npy");
        const Eigen::VectorXd ref = reclag::load_npy<Eigen::VectorXd>(ref_dir() + "/scores_reclag_" + split + ".npy");
        REQUIRE(ref.size() == x.rows());
        const Vector<float> rf = scorer_f.score(reclag::FeatureView<float>(x));
        CHECK(max_rel_dev(rf.cast<double>(), ref) <= 1e-4);
        for (Eigen::Index i = 0; i < ref.size(); ++i) CHECK(std::abs(rf(i) - ref(i)) <= 1e-4 * std::abs(ref(i)));
        // in double (from the same float32 files) the agreement is to rounding
        const RowMatrix<double> xd = x.cast<double>();
        const Vector<double> rd = reclag::reclag_scores(xd, xid, 5.0, 10.0);
        CHECK(max_rel_dev(rd, ref) <= 1e-12);
    }
}

TEST_CASE("log gamma at TPR 0.95 on id_test equals dynamics.json's", "[score][reclag][shared]") {
    const auto dyn = reclag_test::parse_json_file(ref_dir() + "/dynamics.json");
    const Eigen::VectorXd r_id = reclag::load_npy<Eigen::VectorXd>(ref_dir() + "/scores_reclag_id_test.npy");
    const double lg = reclag::log_gamma_at_tpr(r_id, dyn["tpr_id_test"].as_double());
    CHECK(lg == dyn["log_gamma"].as_double());
    // and the scorer calibrates to the same value from the features
    const RowMatrix<double> xi = reclag::load_npy<RowMatrix<float>>(ref_dir() + "/xi.npy").cast<double>();
    const RowMatrix<double> x =
        reclag::load_npy<RowMatrix<float>>(reclag_test::fmnist_dir() + "/id_test_features.npy").cast<double>();
    reclag::ReclagScorer<double> scorer(xi);
    scorer.fit(reclag::FeatureView<double>(x));
    CHECK(reclag_test::close(scorer.log_gamma(), dyn["log_gamma"].as_double(), 1e-12, 0));
}

TEST_CASE("5-step RecLag and vanilla trajectories equal dyn_<kind>_<split>.npy", "[dynamics][reclag][shared]") {
    const auto dyn = reclag_test::parse_json_file(ref_dir() + "/dynamics.json");
    const double log_gamma = dyn["log_gamma"].as_double();
    const long steps = static_cast<long>(dyn["steps"].as_double());
    const RowMatrix<double> xi = reclag::load_npy<RowMatrix<float>>(ref_dir() + "/xi.npy").cast<double>();
    using Q = reclag::QuadraticLagrangian<double>;
    const reclag::HopfieldDynamics<reclag::RecLagLagrangian<double>, Q> rec(xi, reclag::RecLagLagrangian<double>({5.0, log_gamma}));
    const reclag::HopfieldDynamics<reclag::LogSumExpLagrangian<double>, Q> van(xi, reclag::LogSumExpLagrangian<double>({5.0}));
    for (const char* split : kSplits) {
        INFO("split " << split);
        const RowMatrix<float> xall = reclag::load_npy<RowMatrix<float>>(reclag_test::fmnist_dir() + "/" + split + "_features.npy");
        const Array3 er = read_npy3_f8_test_only(ref_dir() + "/dyn_reclag_" + split + ".npy");
        const Array3 ev = read_npy3_f8_test_only(ref_dir() + "/dyn_vanilla_" + split + ".npy");
        REQUIRE(er.d0 == 16);
        REQUIRE(er.d1 == steps + 1);
        const RowMatrix<double> x = xall.topRows(er.d0).cast<double>();
        const RowMatrix<double> v0 = reclag::normalize_rows(x, 10.0);
        const auto tr = rec.adiabatic_trajectory(v0, steps);
        const auto tv = van.adiabatic_trajectory(v0, steps);
        const auto& g_ref = dyn["splits"][split]["G_reclag"];
        const auto& gv_ref = dyn["splits"][split]["G_vanilla"];
        reclag::ScoresOverTimeParam<double> sp;
        sp.steps = steps;
        sp.log_gamma = log_gamma;
        const auto sot = reclag::scores_over_time(x, xi, sp);
        double max_dev = 0;
        for (long k = 0; k <= steps; ++k) {
            const Vector<double> g = rec.gate(tr[std::size_t(k)]);
            const Vector<double> gv = rec.gate(tv[std::size_t(k)]);  // G of the vanilla states, same log gamma
            for (long i = 0; i < er.d0; ++i) {
                for (long d = 0; d < er.d2; ++d) {
                    max_dev = std::max(max_dev, std::abs(tr[std::size_t(k)](i, d) - er.at(i, k, d)));
                    max_dev = std::max(max_dev, std::abs(tv[std::size_t(k)](i, d) - ev.at(i, k, d)));
                }
                const double gr = g_ref[std::size_t(i)][std::size_t(k)].as_double();
                CHECK(std::abs(g(i) - gr) <= 1e-9 * (1 + std::abs(log_gamma)));
                CHECK(std::abs(gv(i) - gv_ref[std::size_t(i)][std::size_t(k)].as_double()) <= 1e-9 * (1 + std::abs(log_gamma)));
                CHECK(std::abs(sot.reclag(k, i) - (gr + log_gamma)) <= 1e-9 * (1 + std::abs(log_gamma)));
            }
        }
        INFO("max abs deviation of the states " << max_dev);
        CHECK(max_dev <= 1e-9);  // states have norm ~10; the reference re-derives them to 5e-13
    }
}
