#include "headspa/care/personalise.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "json_util.hpp"
#include "product_choice.hpp"

namespace headspa::care {
namespace {

using detail::Json;

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f s", s);
  return buf;
}

std::string fraction_text(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", f);
  return buf;
}

bool contains(const std::vector<Region>& regions, Region r) {
  return std::find(regions.begin(), regions.end(), r) != regions.end();
}

std::vector<Region> step_regions(const Step& s) {
  return s.is_massage() ? s.massage().regions : s.care().regions;
}

// Scales `base` by one factor and clamps each entry to [lo, hi] so that the entries add up to
// `target` (bisection on the factor; the sum is monotone in it). When the target lies outside
// [sum lo, sum hi] the result is all lo or all hi.
std::vector<double> fit_total(const std::vector<double>& base, const std::vector<double>& lo,
                              const std::vector<double>& hi, double target) {
  auto at = [&](double k) {
    std::vector<double> out(base.size());
    for (std::size_t i = 0; i < base.size(); ++i) out[i] = std::clamp(base[i] * k, lo[i], hi[i]);
    return out;
  };
  auto sum = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); };
  double k_lo = 0.0;
  double k_hi = 1.0;
  while (sum(at(k_hi)) < target && k_hi < 1e6) k_hi *= 2.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (k_lo + k_hi);
    if (sum(at(mid)) < target) {
      k_lo = mid;
    } else {
      k_hi = mid;
    }
  }
  return at(k_hi);
}

// Removes regions skipped by rules from a massage step; returns false when the step is dropped.
bool apply_skips(PersonalisedStep& ps, const ScreeningResult& screening,
                 std::vector<Change>& changes) {
  Step& step = ps.step;
  for (const auto& rule : screening.matched) {
    if (rule.effect != Effect::kSkip) continue;
    const std::string why = rule.id + ": " + rule.reason;
    if (!step.is_massage()) {
      const CareStep& c = step.care();
      if (std::find(rule.care_kinds.begin(), rule.care_kinds.end(), c.kind) !=
          rule.care_kinds.end()) {
        changes.push_back({step.id, "step left out", why});
        return false;
      }
      continue;
    }
    MassageStep& m = step.massage();
    if (std::find(rule.techniques.begin(), rule.techniques.end(), m.technique) !=
        rule.techniques.end()) {
      changes.push_back({step.id, "step left out", why});
      return false;
    }
    std::vector<Region> kept;
    std::string removed;
    for (Region r : m.regions) {
      if (contains(rule.regions, r)) {
        removed.append(removed.empty() ? "" : ", ").append(to_string(r));
      } else {
        kept.push_back(r);
      }
    }
    if (removed.empty()) continue;
    if (kept.empty()) {
      changes.push_back({step.id, "step left out (all its regions are skipped)", why});
      return false;
    }
    m.regions = kept;
    m.region_names.clear();
    for (Region r : kept) m.region_names.emplace_back(to_string(r));
    changes.push_back({step.id, "regions left out: " + removed, why});
    // Pressure points that lie only in removed regions go too.
    std::vector<PressurePoint> points;
    for (PressurePoint p : m.points) {
      const auto where = regions_of(p);
      if (std::any_of(where.begin(), where.end(), [&](Region r) { return contains(kept, r); })) {
        points.push_back(p);
      } else {
        changes.push_back({step.id, "pressure point left out: " + std::string(to_string(p)), why});
      }
    }
    m.points = points;
    if (m.technique == Technique::kPressRelease && m.points.empty()) {
      changes.push_back({step.id, "step left out (no pressure point remains)", why});
      return false;
    }
  }
  return true;
}

// Fraction of the cap per region, with the reasons for every lowering.
void set_pressure(PersonalisedStep& ps, const Intake& intake, const ScreeningResult& screening,
                  const PersonaliseOptions& options, std::vector<Change>& changes) {
  const MassageStep& m = ps.step.massage();
  const double base = scaled_pressure_fraction(m.pressure, intake.pressure_preference);
  for (Region r : m.regions) {
    double f = base;
    for (const auto& rule : screening.matched) {
      if (rule.effect != Effect::kLowerCap || !contains(rule.regions, r)) continue;
      if (rule.max_fraction < f) {
        changes.push_back({ps.step.id,
                           std::string(to_string(r)) + " pressure " + fraction_text(f) + " -> " +
                               fraction_text(rule.max_fraction) + " of the cap",
                           rule.id + ": " + rule.reason});
        f = rule.max_fraction;
      }
    }
    if (contains(intake.sensitive_regions, r) && options.sensitive_area_max_fraction < f) {
      changes.push_back({ps.step.id,
                         std::string(to_string(r)) + " pressure " + fraction_text(f) + " -> " +
                             fraction_text(options.sensitive_area_max_fraction) + " of the cap",
                         "the client named " + std::string(to_string(r)) + " a sensitive area"});
      f = options.sensitive_area_max_fraction;
    }
    ps.pressure.push_back(RegionPressure{r, std::min(f, 1.0)});
  }
}

// Candidate products of a care step: its own list, or every catalogue product of its role.
std::vector<const Product*> candidates_for(const Step& step, const ProductCatalogue& catalogue) {
  const CareStep& c = step.care();
  std::vector<const Product*> out;
  if (!c.products.empty()) {
    for (const auto& id : c.products) {
      const Product* p = catalogue.find(id);
      if (p == nullptr) {
        InputLocation where = step.where;
        where.field_path += ".products";
        throw InputError(where, "unknown product '" + id + "' (not in the product catalogue)");
      }
      out.push_back(p);
    }
    return out;
  }
  for (const auto& p : catalogue.products()) {
    const bool fits = c.kind == CareKind::kSerumOrMask
                          ? (p.role == ProductRole::kSerum || p.role == ProductRole::kMask)
                          : p.role == *c.product_role;
    if (fits) out.push_back(&p);
  }
  return out;
}

double hair_factor(HairLength length, const PersonaliseOptions& o) {
  switch (length) {
    case HairLength::kNone:
      return o.hair_none_factor;
    case HairLength::kShort:
      return o.hair_short_factor;
    case HairLength::kMedium:
      return 1.0;
    case HairLength::kLong:
      return o.hair_long_factor;
  }
  return 1.0;
}

void record_durations(const std::vector<PersonalisedStep>& steps, const std::vector<double>& before,
                      const std::string& reason_prefix, const std::vector<std::string>& reasons,
                      std::vector<Change>& changes) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (std::fabs(steps[i].step.duration_s - before[i]) < 0.5) continue;
    changes.push_back(
        {steps[i].step.id,
         "duration " + seconds(before[i]) + " -> " + seconds(steps[i].step.duration_s),
         reason_prefix + (reasons.empty() ? std::string() : reasons[i])});
  }
}

void fit_goals(std::vector<PersonalisedStep>& steps, const Intake& intake,
               const PersonaliseOptions& options, std::vector<Change>& changes) {
  if (intake.goals.empty()) return;
  std::vector<double> base, lo, hi, before;
  std::vector<std::string> reasons;
  bool any = false;
  for (const auto& ps : steps) {
    int served = 0;
    std::string names;
    for (Goal g : ps.step.serves) {
      if (!intake.wants(g)) continue;
      ++served;
      names.append(names.empty() ? "" : ", ").append(to_string(g));
    }
    any = any || served > 0;
    const double weight = 1.0 + options.goal_weight * served;
    before.push_back(ps.step.duration_s);
    base.push_back(ps.step.duration_s * weight);
    lo.push_back(ps.step.min_duration_s);
    hi.push_back(ps.step.max_duration_s);
    reasons.push_back(served > 0 ? "this step serves " + names
                                 : "time moved to steps that serve the client's goals");
  }
  if (!any) return;
  const double total = std::accumulate(before.begin(), before.end(), 0.0);
  const auto fitted = fit_total(base, lo, hi, total);
  for (std::size_t i = 0; i < steps.size(); ++i) steps[i].step.duration_s = fitted[i];
  record_durations(steps, before, "goals: ", reasons, changes);
}

void fit_budget(std::vector<PersonalisedStep>& steps, const Intake& intake,
                const Protocol& protocol, std::vector<Change>& changes) {
  if (!intake.time_budget_s) return;
  const double budget = *intake.time_budget_s;
  auto total = [&] {
    double t = 0.0;
    for (const auto& ps : steps) t += ps.step.duration_s;
    return t;
  };
  auto minimum = [&] {
    double t = 0.0;
    for (const auto& ps : steps) t += ps.step.min_duration_s;
    return t;
  };
  // Drop optional steps, last first, while even the minima do not fit.
  for (std::size_t i = steps.size(); i-- > 0 && minimum() > budget;) {
    if (!steps[i].step.optional) continue;
    changes.push_back({steps[i].step.id, "optional step left out",
                       "time budget " + seconds(budget) + " is shorter than every step's minimum"});
    steps.erase(steps.begin() + static_cast<std::ptrdiff_t>(i));
  }
  if (minimum() > budget + 1e-9) {
    throw InputError(InputLocation{{}, 0, 0, "time_budget_s"},
                     "a budget of " + seconds(budget) + " is shorter than the " +
                         seconds(minimum()) + " that protocol " + protocol.id +
                         "'s required steps need at least");
  }
  const double target = std::min(budget, std::max(total(), protocol.duration.max_s));
  if (std::fabs(total() - target) < 0.5 && total() <= budget) return;
  std::vector<double> base, lo, hi, before;
  for (const auto& ps : steps) {
    before.push_back(ps.step.duration_s);
    base.push_back(ps.step.duration_s);
    lo.push_back(ps.step.min_duration_s);
    hi.push_back(ps.step.max_duration_s);
  }
  auto fitted = fit_total(base, lo, hi, target);
  // Never above the budget, whatever the rounding in the search.
  double sum = std::accumulate(fitted.begin(), fitted.end(), 0.0);
  if (sum > budget) {
    const double over = sum - budget;
    for (auto& d : fitted) d = std::max(0.0, d - over * d / sum);
  }
  for (std::size_t i = 0; i < steps.size(); ++i) steps[i].step.duration_s = fitted[i];
  record_durations(steps, before,
                   "time budget " + seconds(budget) +
                       (target < budget ? " (capped at the protocol's longest " +
                                              seconds(protocol.duration.max_s) + ")"
                                        : std::string()),
                   {}, changes);
}

Json pressure_json(const std::vector<RegionPressure>& pressure) {
  Json out = Json::array();
  for (const auto& p : pressure) {
    out.push_back(Json{{"region", std::string(to_string(p.region))}, {"fraction", p.fraction}});
  }
  return out;
}

}  // namespace

bool PersonaliseOptions::IsValid(std::string* why) const {
  auto bad = [&](const char* message) {
    if (why != nullptr) *why = message;
    return false;
  };
  if (!(goal_weight >= 0.0 && goal_weight <= 4.0)) return bad("goal_weight must lie in 0–4");
  if (!(sensitive_area_max_fraction > 0.0 && sensitive_area_max_fraction <= 1.0)) {
    return bad("sensitive_area_max_fraction must lie in (0, 1]");
  }
  for (double f : {hair_none_factor, hair_short_factor, hair_long_factor}) {
    if (!(f > 0.0 && f <= 4.0)) return bad("hair length factors must lie in (0, 4]");
  }
  return true;
}

double PersonalisedProtocol::total_duration_s() const noexcept {
  double total = 0.0;
  for (const auto& s : steps) total += s.step.duration_s;
  return total;
}

std::string PersonalisedProtocol::BriefReport() const {
  return protocol_id + ": " + std::string(to_string(decision)) + ", " +
         std::to_string(steps.size()) + " steps, " + seconds(total_duration_s()) + ", " +
         std::to_string(changes.size()) + " changes";
}

PersonalisedProtocol personalise(const Protocol& protocol, const Intake& intake,
                                 const ScreeningResult& screening, const ScalpFindings* findings,
                                 const ProductCatalogue& catalogue,
                                 const PersonaliseOptions& options) {
  std::string why;
  HEADSPA_CHECK(options.IsValid(&why), why);
  PersonalisedProtocol out;
  out.protocol_id = protocol.id;
  out.title = protocol.title;
  out.decision = screening.decision;
  if (screening.decision == Decision::kRefused) {
    for (const auto& rule : screening.matched) {
      if (rule.effect == Effect::kRefuse)
        out.refusal_reasons.push_back(rule.id + ": " + rule.reason);
    }
    return out;
  }
  out.excluded_products =
      detail::excluded_products(catalogue, intake, screening, &out.confirmations);

  // Skips, then products, then pressure.
  for (const auto& step : protocol.steps) {
    PersonalisedStep ps;
    ps.step = step;
    if (!apply_skips(ps, screening, out.changes)) continue;
    if (!step.is_massage() && step.care().product_role) {
      const auto candidates = candidates_for(step, catalogue);
      std::string reason;
      const Product* chosen =
          detail::choose_product(candidates, out.excluded_products, findings, intake, &reason);
      if (chosen == nullptr) {
        out.changes.push_back({step.id, "step left out",
                               "every candidate product is excluded (see excluded_products)"});
        continue;
      }
      ps.product_id = chosen->id;
      out.changes.push_back({step.id, "product " + chosen->id, reason});
    }
    if (step.is_massage()) set_pressure(ps, intake, screening, options, out.changes);
    out.steps.push_back(std::move(ps));
  }
  if (intake.pressure_preference != PressureLevel::kMedium) {
    out.changes.push_back(
        {"",
         "pressure scaled by " + fraction_text(preference_scale(intake.pressure_preference)) +
             " (never above 1.00 of a cap)",
         "the client prefers " + std::string(to_string(intake.pressure_preference)) + " pressure"});
  }

  // Hair length sets rinse and styling time.
  const double factor = hair_factor(intake.hair_length, options);
  for (auto& ps : out.steps) {
    if (ps.step.is_massage() || factor == 1.0) continue;
    const CareKind kind = ps.step.care().kind;
    if (kind != CareKind::kRinse && kind != CareKind::kDryAndStyle) continue;
    const double before = ps.step.duration_s;
    ps.step.duration_s =
        std::clamp(before * factor, ps.step.min_duration_s, ps.step.max_duration_s);
    if (std::fabs(ps.step.duration_s - before) >= 0.5) {
      out.changes.push_back({ps.step.id,
                             "duration " + seconds(before) + " -> " + seconds(ps.step.duration_s),
                             "hair length " + std::string(to_string(intake.hair_length))});
    }
  }
  fit_goals(out.steps, intake, options, out.changes);
  fit_budget(out.steps, intake, protocol, out.changes);

  // Steam never runs longer than its (possibly shortened) step.
  for (auto& ps : out.steps) {
    if (ps.step.is_massage()) continue;
    auto& steam = ps.step.care().device.steam_time_s;
    if (steam && *steam > ps.step.duration_s) {
      out.changes.push_back({ps.step.id,
                             "steam time " + seconds(*steam) + " -> " + seconds(ps.step.duration_s),
                             "the step was shortened"});
      steam = ps.step.duration_s;
    }
  }

  // Confirmations: before the steps whose regions or kinds a confirm rule names.
  for (const auto& rule : screening.matched) {
    if (rule.effect != Effect::kConfirm) continue;
    Confirmation c{rule.id, rule.reason, {}};
    if (!rule.regions.empty() || !rule.care_kinds.empty()) {
      for (auto& ps : out.steps) {
        const auto regions = step_regions(ps.step);
        bool hit = std::any_of(regions.begin(), regions.end(),
                               [&](Region r) { return contains(rule.regions, r); });
        if (!ps.step.is_massage()) {
          hit = hit || std::find(rule.care_kinds.begin(), rule.care_kinds.end(),
                                 ps.step.care().kind) != rule.care_kinds.end();
        }
        if (hit) {
          ps.needs_confirmation = true;
          c.step_ids.push_back(ps.step.id);
        }
      }
    }
    out.confirmations.push_back(std::move(c));
  }
  if (!out.confirmations.empty() && out.decision == Decision::kProceed) {
    out.decision = Decision::kModified;
  }
  return out;
}

std::string personalised_to_json(const PersonalisedProtocol& plan, int indent) {
  Json out;
  out["format"] = "headspa/personalised-protocol@1";
  out["protocol"] = plan.protocol_id;
  out["title"] = plan.title;
  out["decision"] = std::string(to_string(plan.decision));
  out["refusal_reasons"] = plan.refusal_reasons;
  out["total_duration_s"] = plan.total_duration_s();
  Json steps = Json::array();
  for (const auto& ps : plan.steps) {
    Json s = detail::step_json(ps.step);
    if (ps.step.is_massage()) s["pressure_fraction"] = pressure_json(ps.pressure);
    if (!ps.product_id.empty()) s["product"] = ps.product_id;
    s["needs_confirmation"] = ps.needs_confirmation;
    steps.push_back(std::move(s));
  }
  out["steps"] = std::move(steps);
  Json changes = Json::array();
  for (const auto& c : plan.changes) {
    changes.push_back(Json{{"step", c.step_id}, {"what", c.what}, {"reason", c.reason}});
  }
  out["changes"] = std::move(changes);
  Json excluded = Json::array();
  for (const auto& e : plan.excluded_products) {
    excluded.push_back(Json{{"product", e.product_id}, {"reason", e.reason}});
  }
  out["excluded_products"] = std::move(excluded);
  Json confirmations = Json::array();
  for (const auto& c : plan.confirmations) {
    confirmations.push_back(
        Json{{"source", c.source}, {"reason", c.reason}, {"steps", c.step_ids}});
  }
  out["confirmations"] = std::move(confirmations);
  return out.dump(indent);
}

std::string personalised_to_text(const PersonalisedProtocol& plan) {
  std::string out = plan.protocol_id + " - " + plan.title + "\n";
  out += "decision: " + std::string(to_string(plan.decision)) + "\n";
  for (const auto& r : plan.refusal_reasons) out += "  refused: " + r + "\n";
  if (plan.decision == Decision::kRefused) return out;
  out += "total: " + seconds(plan.total_duration_s()) + "\n\nsteps:\n";
  for (const auto& ps : plan.steps) {
    const Step& s = ps.step;
    out += "  " + s.id + " (" + seconds(s.duration_s) + ")";
    if (s.is_massage()) {
      const MassageStep& m = s.massage();
      out += ": " + std::string(to_string(m.technique)) + ", " + std::string(to_string(m.pressure));
      if (m.direction) out += ", " + std::string(to_string(*m.direction));
      out += "\n      pressure:";
      for (const auto& p : ps.pressure) {
        out += " " + std::string(to_string(p.region)) + "=" + fraction_text(p.fraction);
      }
    } else {
      out += ": " + std::string(to_string(s.care().kind));
      if (!ps.product_id.empty()) out += ", product " + ps.product_id;
    }
    if (ps.needs_confirmation) out += "\n      operator confirms first";
    out += "\n";
  }
  if (!plan.confirmations.empty()) {
    out += "\nthe operator confirms:\n";
    for (const auto& c : plan.confirmations) out += "  " + c.source + ": " + c.reason + "\n";
  }
  if (!plan.excluded_products.empty()) {
    out += "\nexcluded products:\n";
    for (const auto& e : plan.excluded_products) {
      out += "  " + e.product_id + ": " + e.reason + "\n";
    }
  }
  if (!plan.changes.empty()) {
    out += "\nchanges:\n";
    for (const auto& c : plan.changes) {
      out += "  " + (c.step_id.empty() ? std::string("session") : c.step_id) + ": " + c.what +
             " (" + c.reason + ")\n";
    }
  }
  return out;
}

}  // namespace headspa::care
