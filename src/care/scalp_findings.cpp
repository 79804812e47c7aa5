#include "headspa/care/scalp_findings.hpp"

#include "yaml_reader.hpp"

namespace headspa::care {
namespace {

using detail::child_path;
using detail::index_path;
using detail::Reader;

constexpr std::string_view kScalpFindingsFormat = "headspa/scalp-analysis@1";

}  // namespace

bool ScalpFindings::present(ScalpFindingName name) const noexcept {
  for (const auto& f : findings) {
    if (f.name == name) return f.present;
  }
  return false;
}

double ScalpFindings::score(ScalpFindingName name) const noexcept {
  for (const auto& f : findings) {
    if (f.name == name) return f.score;
  }
  return 0.0;
}

ScalpFindings parse_scalp_findings(std::string_view text, std::string_view file_name) {
  const Reader r(file_name);
  const YAML::Node root = r.load(text);
  if (!root.IsMap()) r.fail(root, "", "expected a JSON object");
  r.expect_format(root, kScalpFindingsFormat);
  ScalpFindings out;
  const YAML::Node list = r.required(root, "findings", "");
  const auto items = r.sequence(list, "findings");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string path = index_path("findings", i);
    r.expect_map(items[i], path, {"name", "score", "present"});
    ScalpFinding f;
    f.name = r.enumeration<ScalpFindingName>(r.required(items[i], "name", path),
                                             child_path(path, "name"), "finding");
    f.score =
        r.number(r.required(items[i], "score", path), child_path(path, "score"), 0.0, 1.0, "");
    f.present = r.boolean(r.required(items[i], "present", path), child_path(path, "present"));
    for (const auto& seen : out.findings) {
      if (seen.name == f.name) {
        r.fail(items[i], path, "duplicate finding '" + std::string(to_string(f.name)) + "'");
      }
    }
    out.findings.push_back(f);
  }
  if (auto v = Reader::optional(root, "suspected_open_lesion"); v.IsDefined()) {
    out.suspected_open_lesion = r.boolean(v, "suspected_open_lesion");
  }
  return out;
}

ScalpFindings load_scalp_findings_file(const std::string& path) {
  return parse_scalp_findings(detail::read_text_file(path), path);
}

}  // namespace headspa::care
