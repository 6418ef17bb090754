// OOD metrics on the real fmnist-cnn512 reference scores: our numbers must equal the independent
// Python reference's reference/metrics.json (sklearn / OpenOOD conventions, see its README).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <reclag/metrics/ood_metrics.hpp>
#include <reclag/metrics/threshold.hpp>

#include "golden.hpp"
#include "shared_data.hpp"

namespace {

// TEST-ONLY minimal .npy reader: format v1.0, dtype '<f8', C order, 1-D. Not the library's
// reader (io/); it exists so this test does not depend on it.
Eigen::VectorXd test_only_load_npy_f8(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0 || bytes[6] != 1)
        throw std::runtime_error(path + ": not a v1.0 .npy file");
    const std::size_t hlen = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    const std::string header = bytes.substr(10, hlen);
    if (header.find("'descr': '<f8'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
        throw std::runtime_error(path + ": expected '<f8' in C order, header " + header);
    const std::size_t p = header.find("'shape': (");
    if (p == std::string::npos) throw std::runtime_error(path + ": no shape");
    const long n = std::stol(header.substr(p + 10));
    if (header.find(",)", p) == std::string::npos) throw std::runtime_error(path + ": expected a 1-D array");
    const std::size_t off = 10 + hlen;
    if (bytes.size() != off + static_cast<std::size_t>(n) * 8) throw std::runtime_error(path + ": wrong data size");
    Eigen::VectorXd v(n);
    std::memcpy(v.data(), bytes.data() + off, static_cast<std::size_t>(n) * 8);  // x86-64: little endian
    return v;
}

std::string ref_dir() { return reclag_test::fmnist_dir() + "/reference"; }

Eigen::VectorXd scores(const std::string& scorer, const std::string& split) {
    return test_only_load_npy_f8(ref_dir() + "/scores_" + scorer + "_" + split + ".npy");
}

}  // namespace

TEST_CASE("metrics equal the reference metrics.json on the fmnist-cnn512 scores", "[metrics][shared]") {
    const auto ref = reclag_test::parse_json_file(ref_dir() + "/metrics.json");
    const double tol = 1e-6;
    int compared = 0;
    for (const std::string scorer : {"msp", "energy", "react", "mhe", "she", "reclag"}) {
        const Eigen::VectorXd id = scores(scorer, "id_test");
        for (const std::string ood_set : {"digits", "gaussian", "letters", "uniform"}) {
            INFO(scorer << " vs " << ood_set);
            const Eigen::VectorXd ood = scores(scorer, "ood_" + ood_set);
            const auto& e = ref["metrics"][scorer][ood_set];
            const reclag::RankedScores ranked(id, ood);
            reclag::MetricsParam drop;
            drop.drop_intermediate = true;
            const reclag::OodMetrics m = reclag::evaluate_ood(ranked, drop);   // reference fpr95: dropped curve
            const reclag::OodMetrics every = reclag::evaluate_ood(ranked);     // every threshold
            CHECK(m.fpr95 == Approx(e["fpr95"].as_double()).margin(tol).epsilon(0));
            CHECK(every.fpr95 == Approx(e["fpr95_no_drop"].as_double()).margin(tol).epsilon(0));
            CHECK(m.auroc == Approx(e["auroc"].as_double()).margin(tol).epsilon(0));
            CHECK(m.aupr_in == Approx(e["aupr_in"].as_double()).margin(tol).epsilon(0));
            CHECK(m.aupr_out == Approx(e["aupr_out"].as_double()).margin(tol).epsilon(0));
            if (e.contains("fpr95_threshold")) {
                INFO("fpr95_threshold (threshold of sklearn's dropped-curve point)");
                CHECK(m.fpr95_threshold == Approx(e["fpr95_threshold"].as_double()).margin(1e-9).epsilon(1e-12));
            }
            // The every-threshold point sits at the calibrated ID threshold.
            CHECK(every.fpr95_threshold == reclag::threshold_at_tpr(id, 0.95));
            ++compared;
        }
    }
    CHECK(compared == 24);
}

TEST_CASE("threshold_at_tpr reproduces the reference's log gamma (RecLag, 95% of id_test kept)", "[metrics][shared]") {
    const auto dyn = reclag_test::parse_json_file(ref_dir() + "/dynamics.json");
    const Eigen::VectorXd id = scores("reclag", "id_test");
    const double log_gamma = dyn["log_gamma"].as_double();
    CHECK(reclag::threshold_at_tpr(id, dyn["tpr_id_test"].as_double()) == log_gamma);
    // Rule "score >= threshold is ID" keeps exactly 95% of the 10000 (no ties there).
    CHECK((id.array() >= log_gamma).count() == 9500);
}
