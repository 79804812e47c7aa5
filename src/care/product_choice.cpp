#include "product_choice.hpp"

#include <algorithm>
#include <cstdio>

namespace headspa::care::detail {
namespace {

std::string two_decimals(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

std::vector<ExcludedProduct> excluded_products(const ProductCatalogue& catalogue,
                                               const Intake& intake,
                                               const ScreeningResult& screening,
                                               std::vector<Confirmation>* confirmations) {
  std::vector<ExcludedProduct> out;
  for (const auto& allergy : intake.allergies) {
    if (!catalogue.knows_allergen(allergy) && confirmations != nullptr) {
      confirmations->push_back(Confirmation{
          "allergy:" + allergy,
          "allergy '" + allergy +
              "' is not an ingredient or family in the product catalogue; the operator checks "
              "every product's label before use",
          {}});
    }
  }
  for (const auto& product : catalogue.products()) {
    std::string reason;
    for (const auto& allergy : intake.allergies) {
      if (auto hit = catalogue.allergen_in(product, allergy)) {
        reason = "allergy to " + allergy + (*hit == allergy ? std::string() : ": contains " + *hit);
        break;
      }
    }
    for (const auto& rule : screening.matched) {
      if (!reason.empty()) break;
      if (rule.effect != Effect::kExcludeProduct) continue;
      bool hit =
          std::find(rule.products.begin(), rule.products.end(), product.id) != rule.products.end();
      for (const auto& ingredient : rule.ingredients) {
        if (hit) break;
        hit = catalogue.allergen_in(product, ingredient).has_value();
      }
      if (hit) reason = rule.id + ": " + rule.reason;
    }
    if (!reason.empty()) out.push_back(ExcludedProduct{product.id, reason});
  }
  return out;
}

bool is_excluded(const std::vector<ExcludedProduct>& excluded, const std::string& product_id) {
  return std::any_of(excluded.begin(), excluded.end(),
                     [&](const ExcludedProduct& e) { return e.product_id == product_id; });
}

const Product* choose_product(const std::vector<const Product*>& candidates,
                              const std::vector<ExcludedProduct>& excluded,
                              const ScalpFindings* findings, const Intake& intake,
                              std::string* why) {
  const Product* best = nullptr;
  double best_score = -1.0;
  std::string best_why;
  for (const Product* p : candidates) {
    if (is_excluded(excluded, p->id)) continue;
    double score = 0.0;
    std::string reasons;
    if (findings != nullptr) {
      for (ScalpFindingName name : p->suits) {
        if (!findings->present(name)) continue;
        score += 1.0 + findings->score(name);
        reasons.append(reasons.empty() ? "" : ", ")
            .append("suits the scalp finding ")
            .append(to_string(name))
            .append(" (score ")
            .append(two_decimals(findings->score(name)))
            .append(")");
      }
    }
    for (Goal goal : p->serves) {
      if (!intake.wants(goal)) continue;
      score += 0.5;
      reasons.append(reasons.empty() ? "" : ", ")
          .append("serves the goal ")
          .append(to_string(goal));
    }
    if (score > best_score) {
      best = p;
      best_score = score;
      best_why = reasons.empty() ? "first allowed candidate" : reasons;
    }
  }
  if (why != nullptr) *why = best_why;
  return best;
}

}  // namespace headspa::care::detail
