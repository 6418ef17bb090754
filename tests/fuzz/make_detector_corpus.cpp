// Writes the seed corpus of the detector fuzzer: small valid detector files covering every
// branch of the format (float32 / float64, global / per class, fitted or not, with and without
// log-variances and description, little- and big-endian) plus near-valid ones (truncated, one
// flipped byte, a newer version). Deterministic: the same bytes on every run.
//
//   ./build-fuzz/tests/fuzz/reclag_fuzz_make_detector_corpus tests/fuzz/corpus/detector
#include <reclag/io/detector_file.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace {

template <typename Scalar>
reclag::RowMatrix<Scalar> pattern(reclag::Index rows, reclag::Index cols, int seed) {
    reclag::RowMatrix<Scalar> m(rows, cols);
    for (reclag::Index r = 0; r < rows; ++r)
        for (reclag::Index c = 0; c < cols; ++c)
            m(r, c) = static_cast<Scalar>(((seed * 31 + r * 7 + c * 3) % 17) - 8) / Scalar(4);
    return m;
}

void write(const std::string& dir, const std::string& name, const std::string& bytes) {
    const std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        std::exit(1);
    }
    std::printf("%s (%zu bytes)\n", path.c_str(), bytes.size());
}

/// Byte-swaps every multi-byte field of a native-order detector file (layout in
/// io/detector_file.hpp) and recomputes the checksum: the same detector as a file written on a
/// machine of the other byte order.
std::string swapped(std::string b) {
    std::size_t pos = 0;
    const auto sw = [&](std::size_t n) {
        for (std::size_t i = 0; i < n / 2; ++i) std::swap(b[pos + i], b[pos + n - 1 - i]);
        pos += n;
    };
    const auto native64 = [&](std::size_t at) {
        std::uint64_t v;
        std::memcpy(&v, b.data() + at, 8);
        return v;
    };
    const auto native32 = [&](std::size_t at) {
        std::uint32_t v;
        std::memcpy(&v, b.data() + at, 4);
        return v;
    };
    const std::uint32_t scalar = native32(24), flags = native32(28);
    const std::uint64_t K = native64(32), D = native64(40), L = native64(80);
    pos = 8;
    sw(4), sw(4), sw(8), sw(4), sw(4), sw(8), sw(8);
    for (int i = 0; i < 4; ++i) sw(8);
    sw(8);
    pos += L;
    for (std::uint64_t k = 0; k < K; ++k) {
        const std::uint64_t rows = native64(pos);
        sw(8), sw(8);
        for (std::uint64_t e = 0; e < rows * D; ++e) sw(scalar);
    }
    if (flags & 4u)
        for (std::uint64_t k = 0; k < K; ++k) {
            sw(8);
            for (std::uint64_t e = 0; e < D; ++e) sw(scalar);
        }
    std::uint64_t sum = reclag::detail::fnv1a64(reinterpret_cast<const unsigned char*>(b.data()), pos);
    sum = reclag::detail::bswap(sum);
    std::memcpy(&b[pos], &sum, 8);
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];

    // Global float detector, fitted (the paper's set-up, shrunk: N_H = 4, D = 6).
    reclag::ReclagScorer<float> gf(pattern<float>(4, 6, 1));
    gf.set_log_gamma(2.5f);
    const std::string global_f = reclag::save_detector_to_memory(gf);
    write(dir, "global_f4_fitted.reclag", global_f);

    // Global double detector, unfitted, raw features (norm 0), with a description.
    reclag::ReclagScorer<double>::Param pd;
    pd.norm = 0;
    pd.beta = 0.5;
    reclag::ReclagScorer<double> gd(pattern<double>(3, 5, 2), pd);
    reclag::DetectorExtras<double> ed;
    ed.description = "seed: global f8, not fitted";
    write(dir, "global_f8_unfitted_desc.reclag", reclag::save_detector_to_memory(gd, ed));

    // Per-class float detector (C = 3, D = 4), fitted, with log-variances and a description.
    std::vector<reclag::RowMatrix<float>> per;
    for (int c = 0; c < 3; ++c) per.push_back(pattern<float>(2 + c, 4, 10 + c));
    reclag::ReclagScorer<float> pf(per);
    pf.set_log_gamma(std::log(3.0f));
    reclag::DetectorExtras<float> ef;
    for (int c = 0; c < 3; ++c) ef.log_var.push_back(pattern<float>(4, 1, 20 + c));
    ef.description = "public code preset";
    const std::string per_f = reclag::save_detector_to_memory(pf, ef);
    write(dir, "perclass_f4_fitted_logvar.reclag", per_f);

    // Per-class double detector (C = 2), fitted, no extras.
    std::vector<reclag::RowMatrix<double>> perd{pattern<double>(2, 3, 30), pattern<double>(1, 3, 31)};
    reclag::ReclagScorer<double> pdd(perd);
    pdd.set_log_gamma(-1.25);
    write(dir, "perclass_f8_fitted.reclag", reclag::save_detector_to_memory(pdd));

    // Big-endian versions (written as a big-endian machine would).
    write(dir, "global_f4_fitted_be.reclag", swapped(global_f));
    write(dir, "perclass_f4_fitted_logvar_be.reclag", swapped(per_f));

    // Near-valid: truncated, a flipped data byte (checksum mismatch), a newer format version.
    write(dir, "near_truncated.reclag", global_f.substr(0, global_f.size() - 5));
    std::string flipped = global_f;
    flipped[100] = static_cast<char>(flipped[100] ^ 0x40);
    write(dir, "near_flipped_byte.reclag", flipped);
    std::string newer = global_f;
    newer[8] = 2;
    write(dir, "near_version2.reclag", newer);
    return 0;
}
