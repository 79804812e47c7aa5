// headspa guide: a routine as timed step cards for a person following it with their own hands,
// in the terminal (plain lines, no display needed).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "command_registry.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/core/error.hpp"
#include "headspa/server/guide.hpp"
#include "protocol_source.hpp"

namespace headspa::cli {
namespace {

// Waits `seconds` of routine time at `speed` (routine seconds per wall second); 0: no wait.
void wait_for(double seconds, double speed) {
  if (speed <= 0) return;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds / speed));
}

void print_card(const server::GuideCard& c, std::size_t count) {
  std::printf("\n== Step %d of %zu: %s (%s)\n", c.number, count, c.title.c_str(),
              server::format_duration(c.duration_s).c_str());
  std::printf("   Where:    %s\n", c.where.c_str());
  std::printf("   How:      %s\n", c.how.c_str());
  if (c.massage) std::printf("   Pressure: %s\n", c.pressure.c_str());
  if (!c.points.empty()) {
    std::string pts;
    for (const auto& p : c.points) pts += (pts.empty() ? "" : ", ") + p;
    std::printf("   Points:   %s\n", pts.c_str());
  }
  if (!c.cue.empty()) std::printf("   Remember: %s\n", c.cue.c_str());
  std::printf("   Breathe:  %s\n", c.breathing.words.c_str());
}

void add_guide(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "guide", "Guide a person through a routine: timed step cards in plain words");
  struct Args {
    std::string protocol, intake;
    double speed = 1.0;
    bool no_wait = false, json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--protocol", args->protocol, "Protocol id or file")->required();
  cmd->add_option("--intake", args->intake, "Intake file (YAML or JSON): personalises the steps");
  cmd->add_option("--speed", args->speed,
                  "Routine seconds per wall second (1: real time, 60: a minute a second)")
      ->check(CLI::Range(0.01, 100000.0))
      ->capture_default_str();
  cmd->add_flag("--no-wait", args->no_wait, "Print every step and its timer without waiting");
  cmd->add_flag("--json", args->json, "Print the cards as JSON (headspa/guide@1) and exit");
  cmd->callback([args] {
    care::Intake intake;
    if (!args->intake.empty()) intake = care::load_intake_file(args->intake);
    const care::ScreeningResult screening = care::screen(intake, nullptr, care::builtin_rules());
    const care::Protocol protocol = protocol_by_id_or_file(args->protocol);
    const care::PersonalisedProtocol routine =
        care::personalise(protocol, intake, screening, nullptr, care::builtin_catalogue());
    const auto cards = server::guide_cards(routine);
    if (args->json) {
      std::fputs(server::guide_to_json(routine, cards).c_str(), stdout);
      if (routine.decision == care::Decision::kRefused) set_exit_status(kExitRefused);
      return;
    }
    if (routine.decision == care::Decision::kRefused) {
      std::printf("Not today: this routine is not safe for you now.\n");
      for (const auto& r : routine.refusal_reasons) std::printf("  - %s\n", r.c_str());
      set_exit_status(kExitRefused);
      return;
    }
    const double speed = args->no_wait ? 0.0 : args->speed;
    std::printf(
        "%s\n%zu steps, about %s. Sit comfortably, shoulders loose. Stop at once if "
        "anything hurts.\n",
        routine.title.c_str(), cards.size(),
        server::format_duration(routine.total_duration_s()).c_str());
    for (const auto& ch : routine.changes) {
      std::printf("  (adapted for you: %s — %s)\n", ch.what.c_str(), ch.reason.c_str());
    }
    for (const auto& c : cards) {
      print_card(c, cards.size());
      // The timer: a line every 30 s (every 10 s for short steps) with the breathing rhythm.
      const double tick = c.duration_s > 90 ? 30.0 : 10.0;
      double left = c.duration_s;
      std::printf("   Start now.\n");
      std::fflush(stdout);
      while (left > 1e-9) {
        const double step = std::min(tick, left);
        wait_for(step, speed);
        left -= step;
        if (left > 1e-9) {
          std::printf("   %s left (%s)\n", server::format_duration(left).c_str(),
                      c.breathing.words.c_str());
        }
        std::fflush(stdout);
      }
      std::printf("   Done: let your hands rest a moment.\n");
      std::fflush(stdout);
    }
    std::printf("\nThe routine is complete. Sit quietly for a minute before getting up.\n");
  });
}

const bool kGuideRegistered = register_area(70, &add_guide);

}  // namespace
}  // namespace headspa::cli
