#include "verify/runner/junit.hpp"

#include <fmt/format.h>

namespace envpin::verify {
namespace {

// Length of the valid UTF-8 sequence starting at `text[i]`, or 0 when it is not one.
size_t utf8_sequence_length(std::string_view text, size_t i)
{
    const auto byte = static_cast<unsigned char>(text[i]);
    const size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3 : (byte >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size())
        return 0;
    for (size_t k = 1; k < length; ++k)
        if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2)
            return 0;
    return length;
}

std::string seconds(long long milliseconds)
{
    return fmt::format("{:.3f}", static_cast<double>(milliseconds) / 1000);
}

std::string figure_line(const CheckResult& check)
{
    if (!check.value)
        return {};
    std::string line = fmt::format("value: {} {}", *check.value, check.unit);
    if (check.reference)
        line += fmt::format(", reference {}", *check.reference);
    if (check.threshold)
        line += fmt::format(", threshold {}", *check.threshold);
    return line + "\n";
}

std::string testcase(std::string_view classname, const CheckResult& check)
{
    std::string xml = fmt::format(R"(    <testcase classname="{}" name="{}" time="{}")", xml_escape(classname),
                                  xml_escape(check.name), seconds(check.duration_ms));
    const auto body = xml_escape(check.detail + (check.hint.empty() ? "" : "\nhint: " + check.hint));
    switch (check.status) {
    case CheckStatus::pass:
        xml += ">\n";
        break;
    case CheckStatus::skip:
        xml += fmt::format(">\n      <skipped message=\"{}\"/>\n", xml_escape(check.detail));
        break;
    case CheckStatus::fail:
        xml += fmt::format(">\n      <failure message=\"{}\" type=\"fail\">{}</failure>\n", xml_escape(check.detail), body);
        break;
    case CheckStatus::error:
        xml += fmt::format(">\n      <error message=\"{}\" type=\"error\">{}</error>\n", xml_escape(check.detail), body);
        break;
    }
    xml += fmt::format("      <system-out>{}{}</system-out>\n", xml_escape(figure_line(check)),
                       check.status == CheckStatus::pass ? xml_escape(check.detail) : "");
    return xml + "    </testcase>\n";
}

}  // namespace

std::string xml_escape(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        const size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            out += "\xef\xbf\xbd";  // U+FFFD for a byte that is not UTF-8
            ++i;
            continue;
        }
        const char c = text[i];
        if (length > 1)
            out.append(text.substr(i, length));
        else if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else if (c == '"')
            out += "&quot;";
        else if (c == '\'')
            out += "&apos;";
        else if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
            out += "\xef\xbf\xbd";  // XML 1.0 has no control characters
        else
            out += c;
        i += length;
    }
    return out;
}

JUnitSuite junit_suite(const Report& report)
{
    JUnitSuite suite{"envpin verify", {}, {}, report.duration_ms};
    suite.properties = {{"fingerprint", report.fingerprint},
                        {"suite_version", report.suite_version},
                        {"driver", report.host.driver.value_or("none")}};
    for (const auto& gpu : report.host.gpus)
        suite.properties.emplace_back(fmt::format("gpu{}", gpu.index), gpu.name);
    for (const auto& check : report.checks)
        suite.cases.emplace_back("envpin.verify", check);
    return suite;
}

std::string to_junit_xml(const JUnitSuite& suite)
{
    int failures = 0, errors = 0, skipped = 0;
    for (const auto& [classname, check] : suite.cases) {
        failures += check.status == CheckStatus::fail;
        errors += check.status == CheckStatus::error;
        skipped += check.status == CheckStatus::skip;
    }
    const auto counts = fmt::format(R"(tests="{}" failures="{}" errors="{}" skipped="{}" time="{}")", suite.cases.size(),
                                    failures, errors, skipped, seconds(suite.duration_ms));
    const auto name = xml_escape(suite.name);
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml += fmt::format("<testsuites name=\"{}\" {}>\n", name, counts);
    xml += fmt::format("  <testsuite name=\"{}\" {}>\n", name, counts);
    if (!suite.properties.empty()) {
        xml += "    <properties>\n";
        for (const auto& [key, value] : suite.properties)
            xml += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", xml_escape(key), xml_escape(value));
        xml += "    </properties>\n";
    }
    for (const auto& [classname, check] : suite.cases)
        xml += testcase(classname, check);
    return xml + "  </testsuite>\n</testsuites>\n";
}

std::string to_junit_xml(const Report& report)
{
    return to_junit_xml(junit_suite(report));
}

}  // namespace envpin::verify
