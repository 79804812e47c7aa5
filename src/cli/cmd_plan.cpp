// headspa plan: a protocol, an intake and a head in, a validated plan.json out.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "command_registry.hpp"
#include "headspa/anatomy/head.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/scalp_findings.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/core/error.hpp"
#include "headspa/core/hash.hpp"
#include "headspa/geometry/mesh_hash.hpp"
#include "headspa/plan/plan_io.hpp"
#include "headspa/plan/planner.hpp"
#include "protocol_source.hpp"

namespace headspa::cli {
namespace {

void write_file(const std::string& path, const std::string& what,
                const std::function<void(std::ostream&)>& write) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  const std::string tmp = path + ".part";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw InputError(InputLocation{path, 0, 0, ""}, "cannot write the " + what);
    write(out);
    if (!out) throw InputError(InputLocation{path, 0, 0, ""}, "cannot write the " + what);
  }
  std::filesystem::rename(tmp, path);
}

void add_plan(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "plan", "Plan a session: contact trajectories and forces on the head, validated");
  struct Args {
    std::string protocol, intake, head, units, scalp, out, csv;
    std::uint64_t seed = 1;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--protocol", args->protocol, "Protocol id or file")->required();
  cmd->add_option("--intake", args->intake, "Intake file (YAML or JSON)");
  cmd->add_option("--head", args->head, "Head scan (OBJ, PLY, STL, glTF); default: built-in head");
  cmd->add_option("--units", args->units, "Units of the scan: m|dm|cm|mm|in|auto");
  cmd->add_option("--scalp-report", args->scalp, "Scalp analysis JSON");
  cmd->add_option("--seed", args->seed, "Seed of the plan's random choices");
  cmd->add_option("-o,--output", args->out, "plan.json to write")->required();
  cmd->add_option("--csv", args->csv, "Also write the samples as CSV");
  cmd->callback([args] {
    care::Intake intake;
    std::string intake_hash;
    if (!args->intake.empty()) {
      intake = care::load_intake_file(args->intake);
      intake_hash = sha256_file_hex(args->intake);
    } else {
      std::fprintf(stderr,
                   "headspa plan: no --intake: planned for a client with no reported conditions "
                   "at medium pressure; screen the client before any session\n");
    }
    care::ScalpFindings findings;
    const bool have_findings = !args->scalp.empty();
    if (have_findings) findings = care::load_scalp_findings_file(args->scalp);
    const care::ScreeningResult screening =
        care::screen(intake, have_findings ? &findings : nullptr, care::builtin_rules());
    if (screening.decision == care::Decision::kRefused) {
      std::printf("refused: no plan is made\n");
      for (const auto& r : screening.reasons()) std::printf("  %s\n", r.c_str());
      set_exit_status(kExitRefused);
      return;
    }
    const care::Protocol protocol = protocol_by_id_or_file(args->protocol);
    const care::PersonalisedProtocol personal =
        care::personalise(protocol, intake, screening, have_findings ? &findings : nullptr,
                          care::builtin_catalogue());
    const anatomy::Head head =
        args->head.empty()
            ? anatomy::built_in_head({})
            : anatomy::import_head(args->head, anatomy::import_options_for_units(args->units));
    const auto t0 = std::chrono::steady_clock::now();
    const plan::PlanningSurface surface(head);
    plan::PlanInputs inputs;
    inputs.protocol = &personal;
    inputs.intake = args->intake.empty() ? nullptr : &intake;
    inputs.seed = args->seed;
    inputs.hashes.protocol = sha256_hex(care::personalised_to_json(personal));
    inputs.hashes.intake = intake_hash;
    inputs.hashes.head = geometry::mesh_sha256(head.mesh);
    if (have_findings) inputs.hashes.scalp_report = sha256_file_hex(args->scalp);
    plan::SessionPlan result;
    try {
      result = plan::make_plan(surface, inputs);
    } catch (const plan::PlanRejected& e) {
      std::fprintf(stderr, "headspa plan: no plan written: %s\n", e.what());
      set_exit_status(kExitRefused);
      return;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_file(args->out, "plan", [&](std::ostream& out) { plan::write_plan_json(result, out); });
    if (!args->csv.empty()) {
      write_file(args->csv, "samples CSV",
                 [&](std::ostream& out) { plan::write_samples_csv(result, out); });
    }
    std::size_t samples = result.tracks[0].size() + result.tracks[1].size();
    std::printf("%s: %zu segments, %.0f s, %zu samples, validation %s (planned in %.2f s)\n",
                result.protocol_id.c_str(), result.segments.size(), result.duration_s, samples,
                result.validation.ok ? "passed" : "failed", seconds);
    for (const auto& r : result.regions) {
      std::printf("  %-22s %6.1f s  coverage %5.1f%%  peak %4.1f N (cap %4.1f N)\n",
                  std::string(anatomy::region_name(r.region)).c_str(), r.contact_time_s,
                  100.0 * r.coverage, r.peak_force_n, r.cap_n);
    }
    for (const auto& n : result.notes) std::printf("  note: %s\n", n.c_str());
    std::printf("wrote %s\n", args->out.c_str());
  });
}

const bool kPlanRegistered = register_area(40, &add_plan);

}  // namespace
}  // namespace headspa::cli
