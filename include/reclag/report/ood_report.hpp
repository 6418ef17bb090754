// reclag: the evaluation report printed by reclag_ood: one record per (scorer, OOD set) plus
// the average over OOD sets, written as an aligned table, CSV, JSON or Markdown.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "reclag/core/checks.hpp"

namespace reclag {

/// Metrics of one scorer on one OOD set (fractions, not percent). `ood` = "average" holds the
/// unweighted mean over the OOD sets. When a scorer was trained with several seeds the values
/// are the trimmed means and *_std the standard deviations (NaN when not applicable).
struct OodRecord {
    std::string scorer;
    std::string ood;
    double fpr95 = 0.0;
    double auroc = 0.0;
    double aupr_in = 0.0;
    double aupr_out = 0.0;
    long long n_id = 0;
    long long n_ood = 0;
    int seeds = 1;
    double fpr95_std = std::nan("");
    double auroc_std = std::nan("");
};

enum class ReportFormat { Table, Csv, Json, Markdown };

inline ReportFormat parse_report_format(const std::string& s) {
    if (s == "table") return ReportFormat::Table;
    if (s == "csv") return ReportFormat::Csv;
    if (s == "json") return ReportFormat::Json;
    if (s == "markdown" || s == "md") return ReportFormat::Markdown;
    throw_invalid("parse_report_format", "unknown format '", s, "' (expected table, csv, json or markdown)");
}

namespace detail {

inline std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

/// Shortest text that reads back as the same double; JSON has no NaN, so NaN becomes null.
inline std::string json_number(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

inline std::string percent(double v, int decimals = 2) {
    if (!std::isfinite(v)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, 100.0 * v);
    return buf;
}

/// "FPR95 / AUROC" in percent, with "±std" when several seeds were run.
inline std::string cell(const OodRecord& r) {
    std::string s = percent(r.fpr95);
    if (r.seeds > 1 && std::isfinite(r.fpr95_std)) s += "±" + percent(r.fpr95_std);
    s += " / " + percent(r.auroc);
    if (r.seeds > 1 && std::isfinite(r.auroc_std)) s += "±" + percent(r.auroc_std);
    return s;
}

/// Scorers and OOD sets in first-appearance order, "average" last.
inline void table_axes(const std::vector<OodRecord>& records, std::vector<std::string>& scorers,
                       std::vector<std::string>& oods) {
    for (const auto& r : records) {
        if (std::find(scorers.begin(), scorers.end(), r.scorer) == scorers.end()) scorers.push_back(r.scorer);
        if (r.ood != "average" && std::find(oods.begin(), oods.end(), r.ood) == oods.end()) oods.push_back(r.ood);
    }
    oods.push_back("average");
}

inline std::size_t display_width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count UTF-8 code points ("±")
    return n;
}

}  // namespace detail

/// Writes the records in the chosen format. Table and Markdown: one row per scorer, one column
/// per OOD set plus the average, each cell "FPR95 / AUROC" in percent (FPR95 lower is better,
/// AUROC higher is better). CSV and JSON: one record per (scorer, OOD set), all metrics as
/// fractions.
inline void write_report(std::ostream& os, const std::vector<OodRecord>& records, ReportFormat format) {
    if (format == ReportFormat::Json) {
        os << "[\n";
        for (std::size_t i = 0; i < records.size(); ++i) {
            const auto& r = records[i];
            os << "  {\"scorer\": \"" << detail::json_escape(r.scorer) << "\", \"ood\": \"" << detail::json_escape(r.ood)
               << "\", \"fpr95\": " << detail::json_number(r.fpr95) << ", \"auroc\": " << detail::json_number(r.auroc)
               << ", \"aupr_in\": " << detail::json_number(r.aupr_in)
               << ", \"aupr_out\": " << detail::json_number(r.aupr_out) << ", \"n_id\": " << r.n_id
               << ", \"n_ood\": " << r.n_ood << ", \"seeds\": " << r.seeds
               << ", \"fpr95_std\": " << detail::json_number(r.fpr95_std)
               << ", \"auroc_std\": " << detail::json_number(r.auroc_std) << "}" << (i + 1 < records.size() ? "," : "")
               << "\n";
        }
        os << "]\n";
        return;
    }
    if (format == ReportFormat::Csv) {
        os << "scorer,ood,fpr95,auroc,aupr_in,aupr_out,n_id,n_ood,seeds,fpr95_std,auroc_std\n";
        for (const auto& r : records) {
            os << r.scorer << ',' << r.ood << ',' << detail::json_number(r.fpr95) << ','
               << detail::json_number(r.auroc) << ',' << detail::json_number(r.aupr_in) << ','
               << detail::json_number(r.aupr_out) << ',' << r.n_id << ',' << r.n_ood << ',' << r.seeds << ','
               << (std::isfinite(r.fpr95_std) ? detail::json_number(r.fpr95_std) : "") << ','
               << (std::isfinite(r.auroc_std) ? detail::json_number(r.auroc_std) : "") << "\n";
        }
        return;
    }
    std::vector<std::string> scorers, oods;
    detail::table_axes(records, scorers, oods);
    std::map<std::pair<std::string, std::string>, std::string> cells;
    for (const auto& r : records) cells[{r.scorer, r.ood}] = detail::cell(r);

    std::vector<std::vector<std::string>> rows;
    rows.push_back({"scorer"});
    for (const auto& o : oods) rows[0].push_back(o);
    for (const auto& s : scorers) {
        std::vector<std::string> row{s};
        for (const auto& o : oods) {
            auto it = cells.find({s, o});
            row.push_back(it == cells.end() ? "-" : it->second);
        }
        rows.push_back(row);
    }
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const auto& row : rows)
        for (std::size_t j = 0; j < row.size(); ++j) width[j] = std::max(width[j], detail::display_width(row[j]));

    const bool md = format == ReportFormat::Markdown;
    auto emit = [&](const std::vector<std::string>& row) {
        if (md) os << "| ";
        for (std::size_t j = 0; j < row.size(); ++j) {
            os << row[j] << std::string(width[j] - detail::display_width(row[j]), ' ');
            if (j + 1 < row.size()) os << (md ? " | " : "  ");
        }
        os << (md ? " |\n" : "\n");
    };
    emit(rows[0]);
    if (md) {
        os << "|";
        for (std::size_t j = 0; j < width.size(); ++j) os << std::string(width[j] + 2, '-') << "|";
        os << "\n";
    } else {
        std::size_t total = 0;
        for (std::size_t w : width) total += w + 2;
        os << std::string(total - 2, '-') << "\n";
    }
    for (std::size_t i = 1; i < rows.size(); ++i) emit(rows[i]);
}

}  // namespace reclag
