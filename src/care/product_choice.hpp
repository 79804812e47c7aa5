// Private: the product decisions shared by personalisation and at-home care: which products are
// excluded (screening rules and allergies) and which allowed product suits a client best.
#pragma once

#include <string>
#include <vector>

#include "headspa/care/personalise.hpp"

namespace headspa::care::detail {

// Products excluded by matched exclude_product rules and by the client's allergies, each with
// its reason, in catalogue order. Allergies the catalogue does not know become confirmations.
std::vector<ExcludedProduct> excluded_products(const ProductCatalogue& catalogue,
                                               const Intake& intake,
                                               const ScreeningResult& screening,
                                               std::vector<Confirmation>* confirmations);

// True when the product id is in `excluded`.
bool is_excluded(const std::vector<ExcludedProduct>& excluded, const std::string& product_id);

// The best allowed candidate: it scores (1 + score) per present finding it suits and 0.5 per
// goal it serves; ties go to the earlier candidate. nullptr when every candidate is excluded.
// `why` receives the reason for the choice.
const Product* choose_product(const std::vector<const Product*>& candidates,
                              const std::vector<ExcludedProduct>& excluded,
                              const ScalpFindings* findings, const Intake& intake,
                              std::string* why);

}  // namespace headspa::care::detail
