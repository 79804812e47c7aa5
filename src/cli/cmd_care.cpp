// headspa protocols list|show|check, headspa screen, headspa home-care: the care module's
// commands (protocols, intake screening, personalisation and at-home advice).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "command_registry.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/home_care.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/protocol.hpp"
#include "headspa/care/scalp_findings.hpp"
#include "headspa/care/screening.hpp"
#include "protocol_source.hpp"

namespace headspa::cli {
namespace {

namespace care = headspa::care;

void print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
}

std::string minutes(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", s / 60.0);
  return buf;
}

void add_protocols(CLI::App& app) {
  auto* protocols = app.add_subcommand("protocols", "Built-in massage and head-spa protocols");
  protocols->require_subcommand(1);

  auto* list = protocols->add_subcommand("list", "List the built-in protocols");
  list->callback([] {
    for (const auto& id : care::builtin_protocol_ids()) {
      const care::Protocol p = care::builtin_protocol(id);
      std::printf("%-18s %3s min  %2zu steps  %s\n", p.id.c_str(),
                  minutes(p.nominal_duration_s()).c_str(), p.steps.size(), p.title.c_str());
    }
  });

  auto* show = protocols->add_subcommand("show", "Show one protocol (built-in id or file)");
  // Option values live as long as the callback that reads them (the app owns both).
  struct ShowArgs {
    std::string id;
    bool json = false;
  };
  auto show_args = std::make_shared<ShowArgs>();
  show->add_option("ID", show_args->id, "Protocol id, e.g. japanese-head-spa")->required();
  show->add_flag("--json", show_args->json, "Write JSON (format headspa/protocol@1)");
  show->callback([show_args] {
    const care::Protocol p = protocol_by_id_or_file(show_args->id);
    if (show_args->json) {
      print(care::protocol_to_json(p));
      return;
    }
    std::printf("%s - %s\nsource: %s\nduration: %s-%s min (nominal %s min)\n\n", p.id.c_str(),
                p.title.c_str(), p.source.c_str(), minutes(p.duration.min_s).c_str(),
                minutes(p.duration.max_s).c_str(), minutes(p.nominal_duration_s()).c_str());
    int n = 0;
    for (const auto& s : p.steps) {
      std::printf("%2d. %-24s %4.0f s  ", ++n, s.id.c_str(), s.duration_s);
      if (s.is_massage()) {
        const auto& m = s.massage();
        std::string regions;
        for (const auto& r : m.region_names) regions += (regions.empty() ? "" : ",") + r;
        std::printf("%s on %s, %s", std::string(care::to_string(m.technique)).c_str(),
                    regions.c_str(), std::string(care::to_string(m.pressure)).c_str());
        if (m.direction) std::printf(", %s", std::string(care::to_string(*m.direction)).c_str());
        if (!m.cue.empty()) std::printf("\n      cue: %s", m.cue.c_str());
      } else {
        std::printf("%s", std::string(care::to_string(s.care().kind)).c_str());
        if (!s.care().instruction.empty()) std::printf("\n      %s", s.care().instruction.c_str());
      }
      std::printf("\n");
    }
  });

  auto* check = protocols->add_subcommand("check", "Validate a protocol file");
  auto check_file = std::make_shared<std::string>();
  check->add_option("FILE", *check_file, "Protocol file (YAML or JSON)")->required();
  check->callback([check_file] {
    const care::Protocol p = care::load_protocol_file(*check_file);
    care::check_protocol_products(p, care::builtin_catalogue());
    std::printf("%s: ok: %s, %zu steps, nominal %.0f s within %.0f-%.0f s\n", check_file->c_str(),
                p.id.c_str(), p.steps.size(), p.nominal_duration_s(), p.duration.min_s,
                p.duration.max_s);
  });
}

void add_screen(CLI::App& app) {
  auto* screen = app.add_subcommand(
      "screen", "Screen intake answers; with --protocol, personalise that protocol too");
  struct Args {
    std::string intake, protocol, scalp;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  screen->add_option("--intake", args->intake, "Intake file (YAML or JSON)")->required();
  screen->add_option("--protocol", args->protocol, "Protocol id or file to personalise");
  screen->add_option("--scalp-analysis", args->scalp, "Scalp analysis JSON (scalp module)");
  screen->add_flag("--json", args->json, "Write JSON");
  screen->callback([args] {
    const care::Intake intake = care::load_intake_file(args->intake);
    care::ScalpFindings findings;
    const bool have_findings = !args->scalp.empty();
    if (have_findings) findings = care::load_scalp_findings_file(args->scalp);
    const care::ScreeningResult result =
        care::screen(intake, have_findings ? &findings : nullptr, care::builtin_rules());
    const int status = result.decision == care::Decision::kRefused ? kExitRefused : kExitOk;
    if (!args->protocol.empty()) {
      const care::Protocol protocol = protocol_by_id_or_file(args->protocol);
      const care::PersonalisedProtocol plan = care::personalise(
          protocol, intake, result, have_findings ? &findings : nullptr, care::builtin_catalogue());
      if (args->json) {
        print(care::personalised_to_json(plan));
      } else {
        std::printf("screening: %s\n", result.BriefReport().c_str());
        for (const auto& r : result.reasons()) std::printf("  %s\n", r.c_str());
        std::printf("\n");
        print(care::personalised_to_text(plan));
      }
      set_exit_status(status);
      return;
    }
    if (args->json) {
      print(care::screening_to_json(result));
    } else {
      std::printf("decision: %s\n", std::string(care::to_string(result.decision)).c_str());
      for (const auto& r : result.reasons()) std::printf("  %s\n", r.c_str());
    }
    set_exit_status(status);
  });
}

void add_home_care(CLI::App& app) {
  auto* home = app.add_subcommand("home-care", "Print the personalised at-home routine");
  struct Args {
    std::string intake, scalp;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  home->add_option("--intake", args->intake, "Intake file (YAML or JSON)")->required();
  home->add_option("--scalp-analysis", args->scalp, "Scalp analysis JSON (scalp module)");
  home->add_flag("--json", args->json, "Write JSON");
  home->callback([args] {
    const care::Intake intake = care::load_intake_file(args->intake);
    care::ScalpFindings findings;
    const bool have_findings = !args->scalp.empty();
    if (have_findings) findings = care::load_scalp_findings_file(args->scalp);
    const care::HomeCareRoutine routine =
        care::make_home_care(intake, have_findings ? &findings : nullptr, care::builtin_rules(),
                             care::builtin_catalogue());
    print(args->json ? care::home_care_to_json(routine) : care::home_care_to_text(routine));
  });
}

void add_care_commands(CLI::App& app) {
  add_protocols(app);
  add_screen(app);
  add_home_care(app);
}

}  // namespace

namespace {
const bool kCareRegistered = headspa::cli::register_area(20, &add_care_commands);
}  // namespace

}  // namespace headspa::cli
