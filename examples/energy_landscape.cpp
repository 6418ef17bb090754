// energy_landscape: draws the energy landscapes of a vanilla modern Hopfield network and a
// RecLag-based one in a 2-D feature space (N_V = 2), like the paper's Figures 1-2 (Sec. 4.4).
//
//   energy_landscape                         # writes into the current directory
//   energy_landscape --out-dir plots --beta 3 --log-gamma 5
//   energy_landscape --help                  # all options
//
// Both networks store the same 5 memories xi_mu (rows of xi, on a slightly irregular ring) and
// use the quadratic feature Lagrangian L_V(v) = ||v||^2 / 2 (Eq. 7). What is plotted is the
// energy in the adiabatic limit, E(v) = E(v, h = xi v) of Eq. 4, as computed by the library's
// HopfieldDynamics::adiabatic_energy:
//   vanilla (LogSumExp, Eq. 7):  E(v) = ||v||^2 / 2 - LSE(beta xi v) / beta
//                                (Eq. 8 when beta = 1; for other beta, Eq. 8's log-sum-exp term
//                                 is taken at beta xi v and divided by beta)
//   RecLag (Eq. 11):             E(v) = ||v||^2 / 2 - max(G(v) / beta, 0),
//                                G(v) = LSE(beta xi v) - log gamma                        (Eq. 13)
// Outside the basin B_0 = {G < 0} the two differ by the constant log(gamma) / beta; inside it
// RecLag's energy is the bowl ||v||^2 / 2 whose bottom is the origin attractor (Theorem 1,
// needs gamma > N_H). Trajectories are adiabatic updates (Eq. 12) v <- chi(G(v)) xi^T
// softmax(beta xi v) (chi = 1 for vanilla), from the same start points in both networks.
//
// Outputs (each written atomically, so a reader never sees half a file):
//   energy_landscape_grid.csv          x,y,E_vanilla,E_reclag,G   (one row per grid point)
//   energy_landscape_trajectories.csv  network,id,step,x,y        (step 0 = start point)
//                                      (the last update moved < 1e-10 max(1, |v|_inf): converged)
//   energy_landscape_memories.csv      mu,x,y
//   energy_landscape.svg               two panels: heat maps (each with its colour bar, the same
//                                      energy per colour step in both), iso-energy lines, memories,
//                                      origin attractor, basin boundary G = 0 and the trajectories;
//                                      open it in any web browser
//
// Every error ends the program with one line "energy_landscape: error: ..." and a non-zero
// status (2 for a bad command line, 1 otherwise).
#include <reclag/dynamics/hopfield_dynamics.hpp>
#include <reclag/io/atomic_file.hpp>
#include <reclag/lagrangian/log_sum_exp.hpp>
#include <reclag/lagrangian/quadratic.hpp>
#include <reclag/lagrangian/rectified.hpp>

#include "cli.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Scalar = double;
using Matrix = reclag::RowMatrix<Scalar>;
using Quadratic = reclag::QuadraticLagrangian<Scalar>;
using VanillaNet = reclag::HopfieldDynamics<reclag::LogSumExpLagrangian<Scalar>, Quadratic>;
using RecLagNet = reclag::HopfieldDynamics<reclag::RecLagLagrangian<Scalar>, Quadratic>;

namespace {

using reclag_examples::UsageError;

const char* kUsage = R"(usage: energy_landscape [options]

Writes the adiabatic energy E(v) of a vanilla (LogSumExp) and a RecLag modern Hopfield network
with 5 memories in 2-D on a grid, plus adiabatic trajectories (Eq. 12), as CSV files and an
SVG picture (two panels side by side).

Options:
  --out-dir DIR     directory for the outputs, created if missing (default: .)
  --grid N          grid points per axis, 2..2000 (default 201)
  --beta X          inverse temperature beta > 0 of both networks (default 2)
  --log-gamma X     log of RecLag's inverse memory strength gamma (default 5); the origin
                    is an attractor when log gamma > log N_H = log 5 = 1.609 (Theorem 1)
  --range X         the grid covers [-X, X]^2, X > 0 (default 3.5)
  --help            this text

Outputs in DIR: energy_landscape_grid.csv (x,y,E_vanilla,E_reclag,G),
energy_landscape_trajectories.csv (network,id,step,x,y), energy_landscape_memories.csv
(mu,x,y) and energy_landscape.svg.
)";

struct Options {
    std::string out_dir = ".";
    int grid = 201;
    Scalar beta = 2;
    Scalar log_gamma = 5;
    Scalar range = 3.5;
};

Scalar parse_number(const std::string& option, const std::string& text) {
    return reclag_examples::parse_number(option, text);
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            std::exit(0);
        }
        std::string value;
        bool has_value = false;
        const std::size_t eq = a.find('=');
        if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
            has_value = true;
        }
        const bool known = a == "--out-dir" || a == "--grid" || a == "--beta" || a == "--log-gamma" || a == "--range";
        if (!known) {
            if (a.rfind("-", 0) == 0) throw UsageError("unknown option '" + a + "'");
            throw UsageError("unexpected argument '" + a + "'");
        }
        if (!has_value) {
            if (i + 1 >= argc) throw UsageError("option " + a + " needs a value");
            value = argv[++i];
        }
        if (a == "--out-dir") {
            if (value.empty()) throw UsageError("--out-dir needs a non-empty directory name");
            o.out_dir = value;
        } else if (a == "--grid") {
            const Scalar n = parse_number(a, value);
            if (n != std::floor(n) || n < 2 || n > 2000)
                throw UsageError("--grid expects a whole number in 2..2000, got '" + value + "'");
            o.grid = static_cast<int>(n);
        } else if (a == "--beta") {
            o.beta = parse_number(a, value);
            if (!(o.beta > 0)) throw UsageError("--beta must be > 0, got '" + value + "'");
        } else if (a == "--log-gamma") {
            o.log_gamma = parse_number(a, value);
        } else if (a == "--range") {
            o.range = parse_number(a, value);
            if (!(o.range > 0)) throw UsageError("--range must be > 0, got '" + value + "'");
        }
    }
    return o;
}

// ---------------------------------------------------------------------------------------------
// The network and the start points.

/// Five memories on an irregular ring (angles and radii jittered), so that the vanilla network's
/// origin is not a fixed point by symmetry and the wells differ, as in Fig. 2. For beta >= 2 every
/// memory sits within 0.04 of a fixed point of Eq. 12 (for small beta they merge).
Matrix make_memories() {
    const double deg = 3.14159265358979323846 / 180.0;
    const std::array<double, 5> angle = {15, 88, 160, 230, 300};
    const std::array<double, 5> radius = {2.2, 2.0, 2.1, 2.3, 1.9};
    Matrix xi(5, 2);
    for (int mu = 0; mu < 5; ++mu) {
        xi(mu, 0) = radius[mu] * std::cos(angle[mu] * deg);
        xi(mu, 1) = radius[mu] * std::sin(angle[mu] * deg);
    }
    return xi;
}

/// Start points as fractions of --range: three near the origin (inside RecLag's basin for the
/// defaults: vanilla carries them to a memory, RecLag to the origin), the rest further out.
Matrix make_starts(Scalar range) {
    const std::vector<std::array<double, 2>> frac = {
        {0.17, -0.09}, {-0.14, 0.12}, {0.03, 0.2},  {-0.06, -0.2}, {0.86, 0.7},
        {-0.86, -0.3}, {0.8, -0.8},   {-0.57, 0.86}, {0.05, -0.92}, {-0.5, -0.9}};
    Matrix s(static_cast<reclag::Index>(frac.size()), 2);
    for (std::size_t i = 0; i < frac.size(); ++i) {
        s(static_cast<reclag::Index>(i), 0) = frac[i][0] * range;
        s(static_cast<reclag::Index>(i), 1) = frac[i][1] * range;
    }
    return s;
}

struct Trajectory {
    std::vector<std::array<Scalar, 2>> points;  ///< step 0 .. steps
    reclag::Index attractor = 0;                ///< AttractorResult::origin or mu
    double distance = 0;                        ///< from the end point to that attractor
    bool converged = false;
};

/// Runs the adiabatic update (Eq. 12) to convergence and cuts each recorded trajectory at the
/// step where its state stopped (the library freezes converged rows).
template <typename Net>
std::vector<Trajectory> trajectories(const Net& net, const Matrix& starts) {
    typename Net::Param p;
    p.max_steps = 200;
    p.tolerance = 1e-10;
    p.record_trajectory = true;
    const typename Net::Result r = net.run(starts, p);
    const reclag::AttractorResult at = net.attractors(r.v, 1e-9);
    std::vector<Trajectory> out(static_cast<std::size_t>(starts.rows()));
    for (reclag::Index i = 0; i < starts.rows(); ++i) {
        Trajectory& t = out[static_cast<std::size_t>(i)];
        for (reclag::Index k = 0; k <= r.steps(i); ++k) {
            const Matrix& batch = r.trajectory[static_cast<std::size_t>(k)];
            t.points.push_back({batch(i, 0), batch(i, 1)});
        }
        t.attractor = at.index(i);
        t.distance = at.distance(i);
        t.converged = r.converged[static_cast<std::size_t>(i)];
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Colours, PNG (for the heat maps embedded in the SVG), contours.

struct Rgb {
    unsigned char r, g, b;
};

/// Viridis (matplotlib), 9 control points, linear in between: perceptually ordered, readable in
/// grey scale and by colour-blind readers. t in [0, 1]; low energy = dark.
Rgb viridis(double t) {
    static const double c[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},  {44, 113, 142}, {33, 144, 141},
                                   {39, 173, 129}, {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
    t = (t >= 0 ? std::min(t, 1.0) : 0.0) * 8.0;  // NaN -> 0 rather than an out-of-range index
    const int k = std::min(static_cast<int>(t), 7);
    const double u = t - k;
    Rgb out{};
    unsigned char* dst[3] = {&out.r, &out.g, &out.b};
    for (int j = 0; j < 3; ++j) *dst[j] = static_cast<unsigned char>(std::lround(c[k][j] + u * (c[k + 1][j] - c[k][j])));
    return out;
}

std::string hex(Rgb c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
    return buf;
}

std::uint32_t crc32(const unsigned char* data, std::size_t n, std::uint32_t crc = 0) {
    crc = ~crc;
    for (std::size_t i = 0; i < n; ++i) {
        crc ^= data[i];
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

void put_u32(std::string& s, std::uint32_t v) {
    for (int k = 3; k >= 0; --k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xFFu));
}

void png_chunk(std::string& png, const char* type, const std::string& data) {
    put_u32(png, static_cast<std::uint32_t>(data.size()));
    std::string body(type, 4);
    body += data;
    png += body;
    put_u32(png, crc32(reinterpret_cast<const unsigned char*>(body.data()), body.size()));
}

/// An uncompressed RGB PNG (zlib "stored" blocks): no compression library needed, and every
/// SVG viewer can show it as a data: URI.
std::string encode_png(int width, int height, const std::vector<Rgb>& pixels) {
    std::string raw;
    raw.reserve(static_cast<std::size_t>(height) * (1 + 3 * static_cast<std::size_t>(width)));
    for (int y = 0; y < height; ++y) {
        raw.push_back('\0');  // filter type None
        for (int x = 0; x < width; ++x) {
            const Rgb& c = pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)];
            raw.push_back(static_cast<char>(c.r));
            raw.push_back(static_cast<char>(c.g));
            raw.push_back(static_cast<char>(c.b));
        }
    }
    std::string z = "\x78\x01";
    for (std::size_t pos = 0; pos < raw.size() || pos == 0;) {
        const std::size_t len = std::min<std::size_t>(65535, raw.size() - pos);
        const bool last = pos + len == raw.size();
        z.push_back(static_cast<char>(last ? 1 : 0));
        z.push_back(static_cast<char>(len & 0xFF));
        z.push_back(static_cast<char>(len >> 8));
        z.push_back(static_cast<char>(~len & 0xFF));
        z.push_back(static_cast<char>((~len >> 8) & 0xFF));
        z.append(raw, pos, len);
        pos += len;
        if (last) break;
    }
    std::uint32_t a = 1, b = 0;
    for (unsigned char ch : raw) {
        a = (a + ch) % 65521u;
        b = (b + a) % 65521u;
    }
    put_u32(z, (b << 16) | a);

    std::string png = "\x89PNG\r\n\x1a\n";
    std::string ihdr;
    put_u32(ihdr, static_cast<std::uint32_t>(width));
    put_u32(ihdr, static_cast<std::uint32_t>(height));
    ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bit, RGB, deflate, no filter, no interlace
    png_chunk(png, "IHDR", ihdr);
    png_chunk(png, "IDAT", z);
    png_chunk(png, "IEND", "");
    return png;
}

std::string base64(const std::string& in) {
    static const char* tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < in.size(); i += 3) {
        std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
        if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
        out.push_back(tab[(v >> 18) & 63]);
        out.push_back(tab[(v >> 12) & 63]);
        out.push_back(i + 1 < in.size() ? tab[(v >> 6) & 63] : '=');
        out.push_back(i + 2 < in.size() ? tab[v & 63] : '=');
    }
    return out;
}

/// A scalar field on the grid: value(ix, iy), x = coord[ix], y = coord[iy].
struct Field {
    int n = 0;
    std::vector<Scalar> coord;
    std::vector<Scalar> value;  ///< row-major, iy outer
    Scalar at(int ix, int iy) const { return value[static_cast<std::size_t>(iy) * static_cast<std::size_t>(n) + static_cast<std::size_t>(ix)]; }
};

/// Line segments of the level set {field = level} by marching squares, linearly interpolated
/// along cell edges, in data coordinates.
std::vector<std::array<Scalar, 4>> contour(const Field& f, Scalar level) {
    std::vector<std::array<Scalar, 4>> seg;
    for (int iy = 0; iy + 1 < f.n; ++iy) {
        for (int ix = 0; ix + 1 < f.n; ++ix) {
            // corners counter-clockwise: (ix,iy) (ix+1,iy) (ix+1,iy+1) (ix,iy+1)
            const std::array<int, 4> cx = {ix, ix + 1, ix + 1, ix};
            const std::array<int, 4> cy = {iy, iy, iy + 1, iy + 1};
            std::array<Scalar, 4> v{};
            for (int k = 0; k < 4; ++k) v[k] = f.at(cx[k], cy[k]) - level;
            std::vector<std::array<Scalar, 2>> cross;
            for (int k = 0; k < 4; ++k) {
                const int j = (k + 1) % 4;
                if ((v[k] < 0) != (v[j] < 0)) {
                    const Scalar t = v[k] / (v[k] - v[j]);
                    const Scalar x0 = f.coord[cx[k]], y0 = f.coord[cy[k]];
                    const Scalar x1 = f.coord[cx[j]], y1 = f.coord[cy[j]];
                    cross.push_back({x0 + t * (x1 - x0), y0 + t * (y1 - y0)});
                }
            }
            // 2 crossings: one segment; 4 (a saddle): pair neighbours, good enough for a picture.
            for (std::size_t k = 0; k + 1 < cross.size(); k += 2)
                seg.push_back({cross[k][0], cross[k][1], cross[k + 1][0], cross[k + 1][1]});
        }
    }
    return seg;
}

/// Round tick values covering [lo, hi] (about `want` of them).
std::vector<double> nice_ticks(double lo, double hi, int want) {
    const double raw = (hi - lo) / std::max(1, want);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        step = m * mag;
        if (raw <= step) break;
    }
    std::vector<double> t;
    for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step)
        t.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
    return t;
}

std::string fmt(double x, int prec = 3) {
    std::ostringstream os;
    os << std::setprecision(prec) << x;
    return os.str();
}

// ---------------------------------------------------------------------------------------------
// The SVG.

struct Scene {
    const Options* opt = nullptr;
    Matrix xi;
    Field e_vanilla, e_reclag, gate;
    std::vector<Trajectory> traj_vanilla, traj_reclag;
    /// Colour scale of panel i: [vmin[i], vmin[i] + span]. Energy is defined up to a constant,
    /// so each panel starts at its own minimum, but one colour step is the same energy step in
    /// both panels (same span): equal colours differences = equal energy differences.
    std::array<double, 2> vmin{};
    double span = 1;
};

constexpr double kPanel = 430;  // panel side in px
constexpr double kLeft = 60;    // left margin of the first panel
constexpr double kBarGap = 14;  // panel to its colour bar
constexpr double kBarW = 16;
constexpr double kStride = kPanel + kBarGap + kBarW + 110;  // panel i starts at kLeft + i * kStride
constexpr double kTop = 70;
constexpr double kWidth = kLeft + kStride + kPanel + kBarGap + kBarW + 60;
constexpr double kHeight = kTop + kPanel + 145;

void draw_panel(std::ostream& os, const Scene& s, int which) {
    const Options& o = *s.opt;
    const Field& e = which == 0 ? s.e_vanilla : s.e_reclag;
    const std::vector<Trajectory>& traj = which == 0 ? s.traj_vanilla : s.traj_reclag;
    const double x0 = kLeft + which * kStride, y0 = kTop;
    const double vmin = s.vmin[static_cast<std::size_t>(which)], vmax = vmin + s.span;
    const double scale = kPanel / (2 * o.range);
    auto px = [&](double x) { return x0 + (x + o.range) * scale; };
    auto py = [&](double y) { return y0 + (o.range - y) * scale; };
    const std::string clip = "clip" + std::to_string(which);

    os << "<clipPath id=\"" << clip << "\"><rect x=\"" << x0 << "\" y=\"" << y0 << "\" width=\"" << kPanel
       << "\" height=\"" << kPanel << "\"/></clipPath>\n";
    os << "<text x=\"" << x0 + kPanel / 2 << "\" y=\"" << y0 - 30 << "\" class=\"title\">"
       << (which == 0 ? "Vanilla MHN (LogSumExp, Eq. 7)" : "RecLag MHN (Eq. 11)") << "</text>\n";
    os << "<text x=\"" << x0 + kPanel / 2 << "\" y=\"" << y0 - 12 << "\" class=\"sub\">"
       << (which == 0 ? "E(v) = \u00bd\u2016v\u2016\u00b2 \u2212 LSE(\u03b2\u03bev)/\u03b2"
                      : "E(v) = \u00bd\u2016v\u2016\u00b2 \u2212 max((LSE(\u03b2\u03bev) \u2212 log \u03b3)/\u03b2, 0)")
       << "</text>\n";

    // Heat map: one pixel per grid point, pixel centres on the grid points (hence the half-cell
    // overhang, clipped to the panel). Image row 0 is the largest y.
    const int n = e.n;
    std::vector<Rgb> pix(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
    for (int iy = 0; iy < n; ++iy)
        for (int ix = 0; ix < n; ++ix)
            pix[static_cast<std::size_t>(n - 1 - iy) * static_cast<std::size_t>(n) + static_cast<std::size_t>(ix)] =
                viridis((e.at(ix, iy) - vmin) / s.span);
    const double half = o.range / (n - 1);
    os << "<g clip-path=\"url(#" << clip << ")\">\n";
    os << "<image x=\"" << px(-o.range - half) << "\" y=\"" << py(o.range + half) << "\" width=\""
       << 2 * (o.range + half) * scale << "\" height=\"" << 2 * (o.range + half) * scale
       << "\" preserveAspectRatio=\"none\" xlink:href=\"data:image/png;base64," << base64(encode_png(n, n, pix))
       << "\"/>\n";

    // Iso-energy lines (thin, translucent) at the colour bar's ticks, to show the relief.
    for (double level : nice_ticks(vmin, vmax, 12)) {
        os << "<path class=\"iso\" d=\"";
        for (const auto& g : contour(e, level))
            os << 'M' << fmt(px(g[0]), 6) << ',' << fmt(py(g[1]), 6) << 'L' << fmt(px(g[2]), 6) << ','
               << fmt(py(g[3]), 6);
        os << "\"/>\n";
    }
    // RecLag's basin boundary G(v) = 0 (Eq. 13): inside, chi = 0 and one update lands on 0.
    // White over a dark halo, readable on every colour of the map.
    if (which == 1) {
        std::ostringstream d;
        for (const auto& g : contour(s.gate, 0.0))
            d << 'M' << fmt(px(g[0]), 6) << ',' << fmt(py(g[1]), 6) << 'L' << fmt(px(g[2]), 6) << ','
              << fmt(py(g[3]), 6);
        os << "<path class=\"basin halo\" d=\"" << d.str() << "\"/>\n";
        os << "<path class=\"basin\" d=\"" << d.str() << "\"/>\n";
    }

    // Trajectories: orange when they end at the origin, white when they end at a memory.
    for (std::size_t i = 0; i < traj.size(); ++i) {
        const Trajectory& t = traj[i];
        const bool to_origin = t.attractor == reclag::AttractorResult::origin;
        std::ostringstream pts;
        for (const auto& p : t.points) pts << fmt(px(p[0]), 6) << ',' << fmt(py(p[1]), 6) << ' ';
        os << "<polyline class=\"traj halo\" points=\"" << pts.str() << "\"/>\n";
        os << "<polyline class=\"" << (to_origin ? "traj origin" : "traj") << "\" points=\"" << pts.str() << "\"/>\n";
        for (std::size_t k = 1; k < t.points.size(); ++k)
            os << "<circle class=\"" << (to_origin ? "step origin" : "step") << "\" cx=\"" << fmt(px(t.points[k][0]), 6)
               << "\" cy=\"" << fmt(py(t.points[k][1]), 6) << "\" r=\"2.2\"/>\n";
        const double sx = px(t.points[0][0]), sy = py(t.points[0][1]);
        os << "<path class=\"start\" d=\"M" << sx << ',' << sy - 7 << 'L' << sx + 6 << ',' << sy << 'L' << sx << ','
           << sy + 7 << 'L' << sx - 6 << ',' << sy << "Z\"/>\n";
        os << "<text class=\"label\" x=\"" << sx + 8 << "\" y=\"" << sy - 6 << "\">" << i << "</text>\n";
    }
    // Memories (the vanilla network's attractors) and, for RecLag, the origin attractor.
    for (reclag::Index mu = 0; mu < s.xi.rows(); ++mu)
        os << "<circle class=\"memory\" cx=\"" << px(s.xi(mu, 0)) << "\" cy=\"" << py(s.xi(mu, 1)) << "\" r=\"6\"/>\n";
    if (which == 1) {
        const double cx = px(0), cy = py(0);
        os << "<path class=\"star\" d=\"";
        for (int k = 0; k < 10; ++k) {
            const double r = k % 2 == 0 ? 12 : 5;
            const double a = -3.14159265358979323846 / 2 + k * 3.14159265358979323846 / 5;
            os << (k == 0 ? 'M' : 'L') << fmt(cx + r * std::cos(a), 6) << ',' << fmt(cy + r * std::sin(a), 6);
        }
        os << "Z\"/>\n";
    }
    os << "</g>\n";

    // Frame and axes.
    os << "<rect class=\"frame\" x=\"" << x0 << "\" y=\"" << y0 << "\" width=\"" << kPanel << "\" height=\"" << kPanel
       << "\"/>\n";
    for (double t : nice_ticks(-o.range, o.range, 6)) {
        os << "<line class=\"tick\" x1=\"" << px(t) << "\" y1=\"" << y0 + kPanel << "\" x2=\"" << px(t) << "\" y2=\""
           << y0 + kPanel + 5 << "\"/><text class=\"tl\" x=\"" << px(t) << "\" y=\"" << y0 + kPanel + 18 << "\">"
           << fmt(t) << "</text>\n";
        os << "<line class=\"tick\" x1=\"" << x0 - 5 << "\" y1=\"" << py(t) << "\" x2=\"" << x0 << "\" y2=\"" << py(t)
           << "\"/><text class=\"tl anchor-end\" x=\"" << x0 - 8 << "\" y=\"" << py(t) + 4 << "\">" << fmt(t)
           << "</text>\n";
    }
    os << "<text class=\"axis\" x=\"" << x0 + kPanel / 2 << "\" y=\"" << y0 + kPanel + 36 << "\">v\u2081</text>\n";
    os << "<text class=\"axis\" x=\"" << x0 - 40 << "\" y=\"" << y0 + kPanel / 2 << "\">v\u2082</text>\n";

    // Colour bar of this panel; the top colour also stands for every higher energy.
    const double bx = x0 + kPanel + kBarGap;
    os << "<rect x=\"" << bx << "\" y=\"" << y0 << "\" width=\"" << kBarW << "\" height=\"" << kPanel
       << "\" fill=\"url(#cbar)\" stroke=\"#222\"/>\n";
    for (double t : nice_ticks(vmin, vmax, 8)) {
        const double y = y0 + kPanel * (1 - (t - vmin) / s.span);
        os << "<line class=\"tick\" x1=\"" << bx + kBarW << "\" y1=\"" << y << "\" x2=\"" << bx + kBarW + 5 << "\" y2=\"" << y
           << "\"/><text class=\"tl anchor-start\" x=\"" << bx + kBarW + 8 << "\" y=\"" << y + 4 << "\">" << fmt(t)
           << "</text>\n";
    }
    os << "<text class=\"tl\" x=\"" << bx + kBarW / 2 << "\" y=\"" << y0 - 8 << "\">E(v)</text>\n";
}

void write_svg(std::ostream& os, const Scene& s) {
    const Options& o = *s.opt;
    os << std::setprecision(6);
    os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
       << "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"" << kWidth
       << "\" height=\"" << kHeight << "\" viewBox=\"0 0 " << kWidth << ' ' << kHeight << "\">\n"
       << "<title>Energy landscapes of a vanilla and a RecLag modern Hopfield network</title>\n"
       << "<style>\n"
       << "text{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;fill:#222}\n"
       << ".title{font-size:16px;font-weight:bold;text-anchor:middle}\n"
       << ".sub{font-size:12px;text-anchor:middle;fill:#444}\n"
       << ".tl{font-size:11px;text-anchor:middle}\n.anchor-start{text-anchor:start}\n.anchor-end{text-anchor:end}\n"
       << ".axis{font-size:14px;text-anchor:middle;font-style:italic}\n"
       << ".frame{fill:none;stroke:#222;stroke-width:1}\n"
       << ".tick{stroke:#222;stroke-width:1}\n"
       << ".iso{fill:none;stroke:#fff;stroke-opacity:0.28;stroke-width:0.8}\n"
       << ".basin{fill:none;stroke:#fff;stroke-width:2.2;stroke-linecap:round}\n"
       << ".basin.halo{stroke:#000;stroke-opacity:0.55;stroke-width:4.4}\n"
       << ".traj{fill:none;stroke:#fff;stroke-width:1.8;stroke-linejoin:round}\n"
       << ".traj.origin{stroke:#ff9f1c}\n"
       << ".traj.halo{stroke:#000;stroke-opacity:0.45;stroke-width:3.8}\n"
       << ".step{fill:#fff}\n.step.origin{fill:#ff9f1c}\n"
       << ".start{fill:#fff;stroke:#000;stroke-width:1}\n"
       << ".label{font-size:11px;fill:#fff;font-weight:bold;stroke:#000;stroke-width:2.5;paint-order:stroke}\n"
       << ".memory{fill:#e41a1c;stroke:#fff;stroke-width:1.5}\n"
       << ".star{fill:#ffd60a;stroke:#000;stroke-width:1.2}\n"
       << ".legend{font-size:12px}\n"
       << "</style>\n"
       << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
    os << "<defs><linearGradient id=\"cbar\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">";
    for (int k = 0; k <= 16; ++k) os << "<stop offset=\"" << k / 16.0 << "\" stop-color=\"" << hex(viridis(k / 16.0)) << "\"/>";
    os << "</linearGradient></defs>\n";
    draw_panel(os, s, 0);
    draw_panel(os, s, 1);

    // Legend, two rows under the panels.
    const double ly = kTop + kPanel + 62, lx = kLeft;
    os << "<g class=\"legend\">\n"
       << "<circle class=\"memory\" cx=\"" << lx + 6 << "\" cy=\"" << ly << "\" r=\"6\"/><text class=\"legend\" x=\"" << lx + 18
       << "\" y=\"" << ly + 4 << "\">stored memory \u03be<tspan dy=\"3\" font-size=\"9\">\u03bc</tspan></text>\n"
       << "<path class=\"star\" transform=\"translate(" << lx + 170 << ',' << ly
       << ")\" d=\"M0,-10L2.9,-4L9.5,-3.1L4.8,1.6L5.9,8.1L0,5L-5.9,8.1L-4.8,1.6L-9.5,-3.1L-2.9,-4Z\"/><text class=\"legend\" x=\""
       << lx + 184 << "\" y=\"" << ly + 4 << "\">origin attractor of RecLag (Theorem 1)</text>\n"
       << "<line class=\"basin halo\" x1=\"" << lx + 450 << "\" y1=\"" << ly << "\" x2=\"" << lx + 480 << "\" y2=\"" << ly
       << "\"/><line class=\"basin\" x1=\"" << lx + 450 << "\" y1=\"" << ly << "\" x2=\"" << lx + 480 << "\" y2=\"" << ly
       << "\"/><text class=\"legend\" x=\"" << lx + 488 << "\" y=\"" << ly + 4
       << "\">basin boundary G(v) = 0; inside, \u03c7(G) = 0 (Eqs. 13-14)</text>\n"
       << "<path class=\"start\" transform=\"translate(" << lx + 6 << ',' << ly + 24
       << ")\" d=\"M0,-7L6,0L0,7L-6,0Z\"/><text class=\"legend\" x=\"" << lx + 18 << "\" y=\"" << ly + 28
       << "\">start point (id)</text>\n"
       << "<line x1=\"" << lx + 150 << "\" y1=\"" << ly + 24 << "\" x2=\"" << lx + 180 << "\" y2=\"" << ly + 24
       << "\" stroke=\"#aaa\" stroke-width=\"2\"/><text class=\"legend\" x=\"" << lx + 186 << "\" y=\"" << ly + 28
       << "\">adiabatic updates (Eq. 12), one dot per step: <tspan font-weight=\"bold\">white</tspan> ends at a memory, "
       << "<tspan font-weight=\"bold\" style=\"fill:#e07b00\">orange</tspan> at the origin</text>\n"
       << "<text class=\"legend\" x=\"" << lx << "\" y=\"" << ly + 52 << "\">\u03b2 = " << fmt(o.beta)
       << ", log \u03b3 = " << fmt(o.log_gamma) << ", N_H = " << s.xi.rows() << ", N_V = 2, grid " << o.grid << " \u00d7 "
       << o.grid << "</text>\n<text class=\"legend\" x=\"" << lx << "\" y=\"" << ly + 70
       << "\">colours: each panel from its own lowest energy, the same energy per colour step in both panels; "
       << "the top colour also covers all higher energies</text>\n"
       << "</g>\n</svg>\n";
}

// ---------------------------------------------------------------------------------------------

void write_trajectories(std::ostream& os, const char* network, const std::vector<Trajectory>& traj) {
    for (std::size_t i = 0; i < traj.size(); ++i)
        for (std::size_t k = 0; k < traj[i].points.size(); ++k)
            os << network << ',' << i << ',' << k << ',' << traj[i].points[k][0] << ',' << traj[i].points[k][1] << '\n';
}

std::string describe(const Trajectory& t) {
    std::string where = t.attractor == reclag::AttractorResult::origin ? "origin" : "memory " + std::to_string(t.attractor);
    // For small beta the memories are no fixed points: say how far from the nearest one we stopped.
    if (t.attractor != reclag::AttractorResult::origin && t.distance > 0.1)
        where = "a point " + fmt(t.distance) + " away from " + where;
    return where + " after " + std::to_string(t.points.size() - 1) + " step(s)" + (t.converged ? "" : " (not converged)");
}

int run(int argc, char** argv) {
    const Options o = parse_options(argc, argv);

    const Matrix xi = make_memories();
    reclag::LogSumExpLagrangian<Scalar>::Param pv;
    pv.beta = o.beta;
    reclag::RecLagLagrangian<Scalar>::Param pr;
    pr.beta = o.beta;
    pr.log_gamma = o.log_gamma;
    const VanillaNet vanilla(xi, reclag::LogSumExpLagrangian<Scalar>(pv));
    const RecLagNet reclag_net(xi, reclag::RecLagLagrangian<Scalar>(pr));
    if (!(o.log_gamma > std::log(static_cast<Scalar>(xi.rows()))))
        std::cerr << "energy_landscape: note: log gamma = " << o.log_gamma << " <= log N_H = " << std::log(5.0)
                  << ": the origin is not an attractor (Theorem 1 needs gamma > N_H)\n";

    // Grid states, row iy * n + ix, x fastest.
    const int n = o.grid;
    Scene s;
    s.opt = &o;
    s.xi = xi;
    std::vector<Scalar> coord(static_cast<std::size_t>(n));
    for (int k = 0; k < n; ++k) coord[static_cast<std::size_t>(k)] = -o.range + 2 * o.range * k / (n - 1);
    Matrix v(static_cast<reclag::Index>(n) * n, 2);
    for (int iy = 0; iy < n; ++iy)
        for (int ix = 0; ix < n; ++ix) {
            v(static_cast<reclag::Index>(iy) * n + ix, 0) = coord[static_cast<std::size_t>(ix)];
            v(static_cast<reclag::Index>(iy) * n + ix, 1) = coord[static_cast<std::size_t>(iy)];
        }
    const reclag::Vector<Scalar> ev = vanilla.adiabatic_energy(v);
    const reclag::Vector<Scalar> er = reclag_net.adiabatic_energy(v);
    const reclag::Vector<Scalar> g = reclag_net.gate(v);
    for (Field* f : {&s.e_vanilla, &s.e_reclag, &s.gate}) {
        f->n = n;
        f->coord = coord;
    }
    s.e_vanilla.value.assign(ev.data(), ev.data() + ev.size());
    s.e_reclag.value.assign(er.data(), er.data() + er.size());
    s.gate.value.assign(g.data(), g.data() + g.size());
    if (!ev.allFinite() || !er.allFinite() || !g.allFinite())
        throw std::runtime_error("the energy is not finite somewhere on the grid; use a smaller --beta or --range");

    // Colour scales: each panel from its lowest energy, both spanning the 80th percentile of
    // E - min E over the two maps, so the wells and the basin get the colours and the steep
    // ||v||^2 / 2 rim saturates.
    std::vector<Scalar> rel;
    for (int k = 0; k < 2; ++k) {
        const std::vector<Scalar>& e = k == 0 ? s.e_vanilla.value : s.e_reclag.value;
        const Scalar lo = *std::min_element(e.begin(), e.end());
        s.vmin[static_cast<std::size_t>(k)] = lo;
        for (Scalar x : e) rel.push_back(x - lo);
    }
    std::sort(rel.begin(), rel.end());
    s.span = rel[static_cast<std::size_t>(0.8 * static_cast<double>(rel.size() - 1))];
    if (!(s.span > 0)) s.span = 1;

    const Matrix starts = make_starts(o.range);
    s.traj_vanilla = trajectories(vanilla, starts);
    s.traj_reclag = trajectories(reclag_net, starts);

    std::error_code ec;
    fs::create_directories(o.out_dir, ec);
    if (ec) throw reclag::io_error(o.out_dir + ": cannot create the output directory: " + ec.message());
    const fs::path dir(o.out_dir);
    const std::string grid_path = (dir / "energy_landscape_grid.csv").string();
    const std::string traj_path = (dir / "energy_landscape_trajectories.csv").string();
    const std::string mem_path = (dir / "energy_landscape_memories.csv").string();
    const std::string svg_path = (dir / "energy_landscape.svg").string();

    reclag::write_stream_atomically(grid_path, [&](std::ostream& os) {
        os << std::setprecision(10) << "x,y,E_vanilla,E_reclag,G\n";
        for (reclag::Index i = 0; i < v.rows(); ++i)
            os << v(i, 0) << ',' << v(i, 1) << ',' << ev(i) << ',' << er(i) << ',' << g(i) << '\n';
    });
    reclag::write_stream_atomically(traj_path, [&](std::ostream& os) {
        os << std::setprecision(10) << "network,id,step,x,y\n";
        write_trajectories(os, "vanilla", s.traj_vanilla);
        write_trajectories(os, "reclag", s.traj_reclag);
    });
    reclag::write_stream_atomically(mem_path, [&](std::ostream& os) {
        os << std::setprecision(10) << "mu,x,y\n";
        for (reclag::Index mu = 0; mu < xi.rows(); ++mu) os << mu << ',' << xi(mu, 0) << ',' << xi(mu, 1) << '\n';
    });
    reclag::write_stream_atomically(svg_path, [&](std::ostream& os) { write_svg(os, s); });

    std::cout << "beta = " << o.beta << ", log gamma = " << o.log_gamma << ", N_H = " << xi.rows() << ", grid "
              << n << " x " << n << " on [" << -o.range << ", " << o.range << "]^2\n"
              << "RecLag basin {G < 0} covers " << std::fixed << std::setprecision(1)
              << 100.0 * static_cast<double>((g.array() < 0).count()) / static_cast<double>(g.size())
              << "% of the grid\n"
              << std::defaultfloat << std::setprecision(4);
    for (reclag::Index i = 0; i < starts.rows(); ++i) {
        const std::size_t k = static_cast<std::size_t>(i);
        std::cout << "start " << i << " (" << starts(i, 0) << ", " << starts(i, 1) << "): vanilla -> "
                  << describe(s.traj_vanilla[k]) << "; reclag -> " << describe(s.traj_reclag[k]) << '\n';
    }
    std::cout << "wrote " << grid_path << ", " << traj_path << ", " << mem_path << ", " << svg_path << '\n';
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return reclag_examples::run_cli("energy_landscape", [&] { return run(argc, argv); });
}
