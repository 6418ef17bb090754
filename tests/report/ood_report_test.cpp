// The report writer: every format carries the same numbers; JSON is a list of records with the
// documented keys and the average row; the table puts scorers in rows and OOD sets in columns.
#include <catch2/catch.hpp>

#include <reclag/report/ood_report.hpp>

#include <sstream>

#include "json.hpp"

namespace {
std::vector<reclag::OodRecord> sample_records() {
    reclag::OodRecord a{"msp", "digits", 0.5, 0.9, 0.8, 0.7, 100, 50};
    reclag::OodRecord b{"msp", "letters", 0.25, 0.95, 0.85, 0.75, 100, 60};
    reclag::OodRecord avg{"msp", "average", 0.375, 0.925, 0.825, 0.725, 100, 110};
    return {a, b, avg};
}
}  // namespace

TEST_CASE("JSON report is a list of records with scorer, ood and the four metrics", "[report]") {
    std::ostringstream os;
    reclag::write_report(os, sample_records(), reclag::ReportFormat::Json);
    const auto json = reclag_test::JsonParser(os.str()).parse();
    REQUIRE(json.is_array());
    REQUIRE(json.size() == 3);
    CHECK(json[0]["scorer"].as_string() == "msp");
    CHECK(json[0]["ood"].as_string() == "digits");
    CHECK(json[0]["fpr95"].as_double() == 0.5);
    CHECK(json[1]["auroc"].as_double() == 0.95);
    CHECK(json[2]["ood"].as_string() == "average");
    CHECK(json[2]["aupr_in"].as_double() == 0.825);
    CHECK(json[2]["aupr_out"].as_double() == 0.725);
    CHECK(json[0]["fpr95_std"].type == reclag_test::Json::Type::Null);  // NaN is written as null
}

TEST_CASE("table, markdown and CSV reports show the same figures", "[report]") {
    std::ostringstream table, md, csv;
    reclag::write_report(table, sample_records(), reclag::ReportFormat::Table);
    reclag::write_report(md, sample_records(), reclag::ReportFormat::Markdown);
    reclag::write_report(csv, sample_records(), reclag::ReportFormat::Csv);
    // FPR95 / AUROC in percent, one column per OOD set, the average last.
    CHECK_THAT(table.str(), Catch::Contains("scorer") && Catch::Contains("digits") && Catch::Contains("average") &&
                                Catch::Contains("50.00 / 90.00") && Catch::Contains("37.50 / 92.50"));
    CHECK_THAT(md.str(), Catch::StartsWith("| scorer") && Catch::Contains("| 25.00 / 95.00"));
    CHECK_THAT(csv.str(), Catch::StartsWith("scorer,ood,fpr95,auroc,aupr_in,aupr_out") &&
                              Catch::Contains("msp,letters,0.25,0.94999999999999996,0.84999999999999998"));
    CHECK(reclag::parse_report_format("markdown") == reclag::ReportFormat::Markdown);
    CHECK_THROWS_WITH(reclag::parse_report_format("xml"), Catch::Contains("unknown format 'xml'"));
}
