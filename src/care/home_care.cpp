#include "headspa/care/home_care.hpp"

#include <algorithm>
#include <cstdio>

#include "embedded.hpp"
#include "json_util.hpp"
#include "product_choice.hpp"
#include "yaml_reader.hpp"

namespace headspa::care {
namespace {

using detail::child_path;
using detail::index_path;
using detail::Json;
using detail::Reader;

// One piece of the built-in advice, before fitting.
struct Advice {
  HomeCareItem item;
  double min_s = 0.0;
  double max_s = 0.0;
  std::optional<ProductRole> role;
};

std::vector<Advice> builtin_advice() {
  const Reader r("builtin:data/home_care.yaml");
  const YAML::Node root = r.load(detail::embedded_text("data/home_care.yaml"));
  r.expect_map(root, "", {"format", "items"});
  r.expect_format(root, "headspa/home-care@1");
  std::vector<Advice> out;
  const auto items = r.sequence(r.required(root, "items", ""), "items");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string path = index_path("items", i);
    r.expect_map(items[i], path,
                 {"id", "title", "advice", "frequency", "duration_s", "product_role"});
    Advice a;
    a.item.id = r.string(r.required(items[i], "id", path), child_path(path, "id"));
    a.item.title = r.string(r.required(items[i], "title", path), child_path(path, "title"));
    a.item.advice = r.string(r.required(items[i], "advice", path), child_path(path, "advice"));
    a.item.frequency =
        r.string(r.required(items[i], "frequency", path), child_path(path, "frequency"));
    if (auto v = Reader::optional(items[i], "duration_s"); v.IsDefined()) {
      const std::string d = child_path(path, "duration_s");
      r.expect_map(v, d, {"min", "max"});
      a.min_s = r.number(r.required(v, "min", d), child_path(d, "min"), 0.0, 3600.0, "s");
      a.max_s = r.number(r.required(v, "max", d), child_path(d, "max"), a.min_s, 3600.0, "s");
    }
    if (auto v = Reader::optional(items[i], "product_role"); v.IsDefined()) {
      a.role = r.enumeration<ProductRole>(v, child_path(path, "product_role"), "product role");
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::string minutes(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f min", s / 60.0);
  return buf;
}

}  // namespace

HomeCareRoutine make_home_care(const Intake& intake, const ScalpFindings* findings,
                               const RuleTable& rules, const ProductCatalogue& catalogue) {
  HomeCareRoutine out;
  const ScreeningResult screening = screen(intake, findings, rules);
  if (screening.decision == Decision::kRefused) {
    out.on_hold = true;
    for (const auto& rule : screening.matched) {
      if (rule.effect == Effect::kRefuse) out.reasons.push_back(rule.id + ": " + rule.reason);
    }
  }
  std::vector<Confirmation> unknown_allergies;
  const auto excluded = detail::excluded_products(catalogue, intake, screening, &unknown_allergies);
  for (const auto& c : unknown_allergies) out.changes.push_back({"", "check labels", c.reason});
  const bool red = findings != nullptr && findings->present(ScalpFindingName::kRedSensitive);
  const bool sensitive = red || intake.has(Condition::kSensitiveSkin);

  for (Advice& a : builtin_advice()) {
    HomeCareItem item = a.item;
    const bool touches_scalp =
        item.id == "massage-while-shampooing" || item.id == "weekly-exfoliation";
    if (out.on_hold && touches_scalp) {
      out.changes.push_back(
          {item.id, "left out until the condition has healed", "screening refused treatment"});
      continue;
    }
    if (a.max_s > 0.0) {
      // 3–5 minutes: the top for stress, 4 minutes (the dose of Koyama 2016) for hair growth.
      item.duration_s = a.min_s;
      std::string reason = "the source's shortest time";
      if (intake.wants(Goal::kHairGrowth)) {
        item.duration_s = std::clamp(240.0, a.min_s, a.max_s);
        reason = "goal hair_growth: 4 minutes a day is the dose that thickened hair (Koyama 2016)";
      }
      if (intake.wants(Goal::kStress) || intake.wants(Goal::kHeadache)) {
        item.duration_s = std::max(item.duration_s, a.max_s);
        reason = "goal stress or headache: the longest time, with slow breathing";
        item.advice += " Breathe slowly and deeply while you massage.";
      }
      out.changes.push_back({item.id, minutes(item.duration_s), reason});
    }
    if (item.id == "weekly-exfoliation" && sensitive) {
      item.frequency = "once every two weeks";
      item.advice = "Exfoliate the scalp once every two weeks, gently, to remove build-up.";
      out.changes.push_back({item.id, "every two weeks instead of weekly",
                             red ? "the scalp analysis found a red, sensitive scalp"
                                 : "the client reported sensitive skin"});
    }
    if (item.id == "hydration" &&
        (intake.wants(Goal::kDryScalp) ||
         (findings != nullptr && findings->present(ScalpFindingName::kFlakyDry)))) {
      item.advice += " A dry, flaky scalp benefits most.";
      out.changes.push_back({item.id, "stressed for a dry scalp", "dry scalp (goal or finding)"});
    }
    if (item.id == "manage-stress" && intake.wants(Goal::kStress)) {
      item.advice += " A few minutes of the self-massage before bed helps you unwind.";
      out.changes.push_back({item.id, "self-massage before bed", "goal stress"});
    }
    if (a.role) {
      std::vector<const Product*> candidates;
      for (const auto& p : catalogue.products()) {
        // At home only sulfate-free products are suggested, as the source advises.
        if (p.role == *a.role && p.sulfate_free) candidates.push_back(&p);
      }
      std::string why;
      const Product* chosen = detail::choose_product(candidates, excluded, findings, intake, &why);
      if (chosen != nullptr) {
        item.product_ids.push_back(chosen->id);
        out.changes.push_back({item.id, "suggest " + chosen->id, why});
      } else if (item.id == "weekly-exfoliation") {
        out.changes.push_back({item.id, "left out", "every exfoliant is excluded for this client"});
        continue;
      }
    }
    out.items.push_back(std::move(item));
  }
  return out;
}

std::string home_care_to_text(const HomeCareRoutine& routine) {
  std::string out = "At-home care (Japanese head spa)\n";
  if (routine.on_hold) {
    out += "On hold: no self-massage or exfoliation until the condition has healed.\n";
    for (const auto& r : routine.reasons) out += "  " + r + "\n";
  }
  int n = 0;
  for (const auto& item : routine.items) {
    out += "\n" + std::to_string(++n) + ". " + item.title + " (" + item.frequency;
    if (item.duration_s > 0.0) out += ", " + minutes(item.duration_s);
    out += ")\n   " + item.advice + "\n";
    for (const auto& p : item.product_ids) out += "   suggested product: " + p + "\n";
  }
  if (!routine.changes.empty()) {
    out += "\nFitted to you:\n";
    for (const auto& c : routine.changes) {
      out += "  " + (c.step_id.empty() ? std::string("all") : c.step_id) + ": " + c.what + " (" +
             c.reason + ")\n";
    }
  }
  return out;
}

std::string home_care_to_json(const HomeCareRoutine& routine, int indent) {
  Json out;
  out["format"] = "headspa/home-care@1";
  out["on_hold"] = routine.on_hold;
  out["reasons"] = routine.reasons;
  Json items = Json::array();
  for (const auto& item : routine.items) {
    Json j;
    j["id"] = item.id;
    j["title"] = item.title;
    j["advice"] = item.advice;
    j["frequency"] = item.frequency;
    if (item.duration_s > 0.0) j["duration_s"] = item.duration_s;
    j["products"] = item.product_ids;
    items.push_back(std::move(j));
  }
  out["items"] = std::move(items);
  Json changes = Json::array();
  for (const auto& c : routine.changes) {
    changes.push_back(Json{{"item", c.step_id}, {"what", c.what}, {"reason", c.reason}});
  }
  out["changes"] = std::move(changes);
  return out.dump(indent);
}

}  // namespace headspa::care
